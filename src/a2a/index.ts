export { type AgentCards, type AgentCardsOptions, createAgentCards } from './agent-cards.js';
export { canonicalCardPayload } from './card-canonical.js';
export { type CardSecurity, cardSecurity, type EnabledAuth } from './card-security.js';
export {
  type CardKeyResolver,
  type CardSigner,
  type CardSigningKey,
  createCardSigner,
  type SignatureCheck,
  signCard,
  verifyCard,
} from './card-signing.js';
export { correlationId, echoCorrelationId } from './correlation.js';
export { A2A_ERROR_CODES, A2aError, type JsonRpcError, toJsonRpcError } from './errors.js';
export {
  AgentCardError,
  applyCardContent,
  type ExtendedCard,
  extendedCard,
  GATEWAY_CAPABILITIES,
  type GatewayFeatures,
  type HostedAgent,
  type HostedAgentFile,
  HostedAgentFileSchema,
  loadHostedAgents,
  publicCard,
} from './hosted-agents.js';
export {
  createJsonRpcBinding,
  type JsonRpcBinding,
  type JsonRpcBindingOptions,
  type RpcReply,
} from './jsonrpc.js';
export { requestHeader } from './request-header.js';
export { createJsonRpcHandler, type JsonRpcHandlerOptions } from './rpc-handler.js';
export {
  checkIdempotencyKey,
  type NodeBindings,
  negotiateA2aVersion,
  type RpcEnv,
  readJsonBody,
  requireJsonContentType,
  rpcError,
  rpcJson,
} from './rpc-transport.js';
export {
  type A2aService,
  type A2aServiceDependencies,
  createA2aService,
  type PushSupport,
  type RequestContext,
  type StreamItem,
} from './service.js';
export { type SseEvent, sseResponse } from './sse.js';
export { negotiateVersion, type ProtocolVersion } from './versions.js';
