import { z } from 'zod';
import { SecretSchema } from '../secrets.js';

/** How the gateway reaches an MCP server: a child process over stdio, or Streamable HTTP. */
export const McpServerSpecSchema = z.discriminatedUnion('transport', [
  z.strictObject({
    transport: z.literal('stdio'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Added to a minimal inherited environment (PATH, HOME, …), not to the gateway's own. */
    env: z.record(z.string(), SecretSchema).optional(),
    /** Relative to the agent file's folder; unset, the child starts in the gateway's own. */
    cwd: z.string().min(1).optional(),
  }),
  z.strictObject({
    transport: z.literal('http'),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), SecretSchema).optional(),
    /** Sent as `Authorization: Bearer <token>`. */
    token: SecretSchema.optional(),
  }),
]);
export type McpServerSpec = z.infer<typeof McpServerSpecSchema>;

/** An agent whose skills are the tools of one MCP server. */
export const McpExecutorSpecSchema = z.strictObject({
  kind: z.literal('mcp'),
  server: McpServerSpecSchema,
  /** Only these tools become skills (default: every tool the server lists). */
  tools: z.array(z.string().min(1)).min(1).optional(),
  /** A tool call longer than this is canceled and the task fails (default: the agent's timeoutMs). */
  callTimeoutMs: z.int().min(100).max(86_400_000).optional(),
  /** Arguments that do not match the tool's input schema: reject the task, or ask for input. */
  invalidArguments: z.enum(['reject', 'input-required']).default('input-required'),
  /** Reconnecting (HTTP) and restarting a crashed stdio server: exponential backoff, bounded. */
  reconnect: z
    .strictObject({
      initialDelayMs: z.int().min(10).max(60_000).default(500),
      maxDelayMs: z.int().min(10).max(600_000).default(30_000),
      /** Restarts in a row without a successful connection before giving up (stdio). */
      maxRestarts: z.int().min(0).max(1_000).default(5),
    })
    .prefault({}),
});
export type McpExecutorSpec = z.infer<typeof McpExecutorSpecSchema>;
