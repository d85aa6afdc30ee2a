import type { ExecutorDeps, HostedExecutor } from '../hosted-executor.js';
import type { A2aExecutorSpec } from './spec.js';

export { type A2aExecutorSpec, A2aExecutorSpecSchema } from './spec.js';

export function createUpstreamExecutor(
  _spec: A2aExecutorSpec,
  _deps: ExecutorDeps,
): HostedExecutor {
  throw new Error('upstream A2A executors are being built');
}
