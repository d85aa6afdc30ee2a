import { z } from 'zod';
import { SecretSchema } from '../secrets.js';

/** How the gateway authenticates to an upstream agent. */
export const UpstreamCredentialsSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer'), token: SecretSchema }),
  z.strictObject({
    type: z.literal('apiKey'),
    header: z.string().min(1).default('X-API-Key'),
    key: SecretSchema,
  }),
  /** OAuth 2.0 client credentials; the token URL defaults to the one the upstream card names. */
  z.strictObject({
    type: z.literal('oauth2'),
    tokenUrl: z.url({ protocol: /^https?$/ }).optional(),
    clientId: z.string().min(1),
    clientSecret: SecretSchema,
    scopes: z.array(z.string().min(1)).default([]),
    audience: z.string().min(1).optional(),
  }),
]);
export type UpstreamCredentials = z.infer<typeof UpstreamCredentialsSchema>;

/** An agent that is a remote A2A agent, proxied: every step recorded as our events. */
export const A2aExecutorSpecSchema = z.strictObject({
  kind: z.literal('a2a'),
  /** The upstream's Agent Card, e.g. https://agent.example.com/.well-known/agent-card.json. */
  cardUrl: z.url({ protocol: /^https?$/ }),
  credentials: UpstreamCredentialsSchema.optional(),
  /** `auto` streams when the upstream card says it can, else polls GetTask; `never` always polls. */
  streaming: z.enum(['auto', 'never']).default('auto'),
  /** One HTTP request to the upstream (a stream's idle time between events, too). */
  requestTimeoutMs: z.int().min(100).max(3_600_000).default(30_000),
  /** Retries of safe operations (card, GetTask, CancelTask, resubscribe), never of a send. */
  retry: z
    .strictObject({
      attempts: z.int().min(0).max(10).default(3),
      initialDelayMs: z.int().min(1).max(60_000).default(200),
      maxDelayMs: z.int().min(1).max(600_000).default(5_000),
    })
    .prefault({}),
  /** Per upstream: this many failures in a row open it; after openMs one call tries (half-open). */
  breaker: z
    .strictObject({
      failureThreshold: z.int().min(1).max(1_000).default(5),
      openMs: z.int().min(100).max(3_600_000).default(30_000),
    })
    .prefault({}),
  /** GetTask polling when not streaming: exponential backoff between these bounds. */
  poll: z
    .strictObject({
      initialDelayMs: z.int().min(10).max(60_000).default(250),
      maxDelayMs: z.int().min(10).max(600_000).default(5_000),
    })
    .prefault({}),
  /** How often the upstream card is fetched again (a change is republished and recorded). */
  cardRefreshMs: z.int().min(1_000).max(86_400_000).default(300_000),
});
export type A2aExecutorSpec = z.infer<typeof A2aExecutorSpecSchema>;
