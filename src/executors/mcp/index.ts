import type { ExecutorDeps, HostedExecutor } from '../hosted-executor.js';
import type { McpExecutorSpec } from './spec.js';

export { type McpExecutorSpec, McpExecutorSpecSchema } from './spec.js';

export function createMcpExecutor(_spec: McpExecutorSpec, _deps: ExecutorDeps): HostedExecutor {
  throw new Error('MCP executors are being built');
}
