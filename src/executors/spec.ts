import { z } from 'zod';
import { A2aExecutorSpecSchema } from './a2a/spec.js';
import { BuiltinExecutorSpecSchema } from './builtin/spec.js';
import { McpExecutorSpecSchema } from './mcp/spec.js';

/** How a hosted agent is executed: the `executor` of its agent file. */
export const ExecutorSpecSchema = z.discriminatedUnion('kind', [
  BuiltinExecutorSpecSchema,
  McpExecutorSpecSchema,
  A2aExecutorSpecSchema,
]);
export type ExecutorSpec = z.infer<typeof ExecutorSpecSchema>;
