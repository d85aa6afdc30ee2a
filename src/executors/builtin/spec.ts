import { z } from 'zod';

export const BUILTIN_AGENTS = ['echo'] as const;

/** An agent built into the gateway. */
export const BuiltinExecutorSpecSchema = z.strictObject({
  kind: z.literal('builtin'),
  agent: z.enum(BUILTIN_AGENTS, {
    error: (issue) =>
      `unknown builtin agent ${JSON.stringify(issue.input)}: the builtin agents are ${BUILTIN_AGENTS.join(', ')}; for your own agent use "kind": "mcp" or "kind": "a2a"`,
  }),
});
export type BuiltinExecutorSpec = z.infer<typeof BuiltinExecutorSpecSchema>;
