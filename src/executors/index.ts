export { type A2aExecutorSpec, A2aExecutorSpecSchema } from './a2a/index.js';
export {
  type AbortCause,
  type AgentExecutor,
  type Emission,
  type Emit,
  type ExecutionContext,
  RunAborted,
  type UpstreamLink,
} from './agent-executor.js';
export { createEchoAgent, ECHO_COMMANDS } from './builtin/echo.js';
export { BUILTIN_AGENTS, type BuiltinExecutorSpec } from './builtin/spec.js';
export { createHostedExecutor } from './create-hosted-executor.js';
export type {
  BreakerState,
  CardContent,
  ExecutorDeps,
  ExecutorHealth,
  ExecutorLog,
  HostedExecutor,
} from './hosted-executor.js';
export { type McpExecutorSpec, McpExecutorSpecSchema } from './mcp/index.js';
export { MissingSecretError, resolveSecret, type Secret, SecretSchema } from './secrets.js';
export { type ExecutorSpec, ExecutorSpecSchema } from './spec.js';
