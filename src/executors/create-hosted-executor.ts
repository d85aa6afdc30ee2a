import { createUpstreamExecutor } from './a2a/index.js';
import { createBuiltinExecutor } from './builtin/hosted.js';
import type { ExecutorDeps, HostedExecutor } from './hosted-executor.js';
import { createMcpExecutor } from './mcp/index.js';
import type { ExecutorSpec } from './spec.js';

/** The executor an agent file's `executor` describes. */
export function createHostedExecutor(spec: ExecutorSpec, deps: ExecutorDeps): HostedExecutor {
  switch (spec.kind) {
    case 'builtin':
      return createBuiltinExecutor(spec);
    case 'mcp':
      return createMcpExecutor(spec, deps);
    case 'a2a':
      return createUpstreamExecutor(spec, deps);
    default: {
      const unknown: never = spec;
      throw new Error(`unknown executor ${JSON.stringify(unknown)}`);
    }
  }
}
