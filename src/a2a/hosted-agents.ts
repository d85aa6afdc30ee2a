import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { SCOPES } from '../auth/index.js';
import { type CardContent, type ExecutorSpec, ExecutorSpecSchema } from '../executors/index.js';
import { type AgentCard, AgentCardSchema, AgentSkillSchema } from '../protocol/index.js';
import { cardSecurity, type EnabledAuth } from './card-security.js';

/** The card as a file writes it: without what the gateway fills in. */
const CardFileSchema = AgentCardSchema.omit({
  // The gateway authenticates and signs, so it alone says how (card-security.ts, card-signing.ts).
  supportedInterfaces: true,
  capabilities: true,
  securitySchemes: true,
  securityRequirements: true,
  signatures: true,
}).strict();
type CardFile = z.infer<typeof CardFileSchema>;

/** What only authenticated callers see (§3.1.11): more skills, a longer description. */
export const ExtendedCardSchema = z.strictObject({
  description: z.string().min(1).optional(),
  skills: z.array(AgentSkillSchema).min(1),
});
export type ExtendedCard = z.infer<typeof ExtendedCardSchema>;

/**
 * One file in `agent-cards/`: the public card without what the gateway fills in
 * (interfaces, capabilities, security, signatures), plus how the agent runs.
 */
export const HostedAgentFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    /** URL name: the agent is served at /agents/<name>. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
    default: z.boolean().optional(),
    /**
     * Complete for a builtin agent. An MCP or upstream A2A agent's card comes from its tools or
     * the upstream card: the fields written here override it (all optional).
     */
    card: CardFileSchema.partial(),
    extendedCard: ExtendedCardSchema.optional(),
    executor: ExecutorSpecSchema,
    timeoutMs: z.int().min(100).max(86_400_000).default(300_000),
    /** What a restart does with a task this agent was running: run it again or fail it. */
    onRestart: z.enum(['resume', 'fail']).default('resume'),
    /** Scopes a caller needs for this agent, on top of each method's own (a2a:send, …). */
    auth: z
      .strictObject({ scopes: z.array(z.string().regex(/^[\x21-\x7e]+$/)).default([]) })
      .optional(),
  })
  .superRefine((file, ctx) => {
    if (file.executor.kind !== 'builtin') return;
    // Nothing else tells a builtin agent's card: the file must give all of it.
    for (const issue of CardFileSchema.safeParse(file.card).error?.issues ?? []) {
      ctx.addIssue({ ...issue, path: ['card', ...issue.path] } as z.core.$ZodRawIssue);
    }
  });
export type HostedAgentFile = z.infer<typeof HostedAgentFileSchema>;

export interface HostedAgent {
  name: string;
  isDefault: boolean;
  /**
   * The card as served, before the gateway adds interfaces, capabilities and security: the
   * file's, or (MCP, upstream A2A) the executor's content with the file's fields over it.
   */
  card: CardFile;
  /** The file's own card fields (all of them for a builtin agent). */
  fileCard: Partial<CardFile>;
  /** Card extensions from the executor (the tools' input schemas). */
  extensions: NonNullable<CardContent['extensions']>;
  /**
   * Why the agent has no card yet (its MCP server or upstream was never reached); its card
   * routes then answer 503. Undefined once a card is known.
   */
  unavailable?: string;
  /** Bumped at every card change: cached cards of an older revision are not served. */
  revision: number;
  /** Shown to authenticated callers only; the card then says `extendedAgentCard: true`. */
  extendedCard?: ExtendedCard;
  executor: ExecutorSpec;
  timeoutMs: number;
  onRestart: 'resume' | 'fail';
  /** Scopes a caller needs for this agent beyond each method's own. */
  requiredScopes: readonly string[];
  /** Where it came from, for error messages. */
  source: string;
  /** Its file's folder: relative paths in the file start here. */
  baseDir: string;
  /** When the card last changed (the file, or the executor's content): its Last-Modified. */
  modifiedAt: Date;
}

/**
 * Puts an executor's card content on its agent (the file's own fields win); `reason` says
 * why there is none yet, read at each request (a connection's next retry moves on). The
 * agent's revision moves on, so its cards are built again.
 */
export function applyCardContent(
  agent: HostedAgent,
  content: CardContent | undefined,
  reason: () => string = () => 'not connected yet',
  now = new Date(),
): void {
  agent.revision += 1;
  agent.modifiedAt = now;
  setUnavailable(agent, content ? { value: mergeContent(agent, content) } : { get: reason });
}

/** Puts `content` on the agent's card; says why not when it makes no valid card. */
function mergeContent(agent: HostedAgent, content: CardContent): string | undefined {
  if (content.skills.length === 0) return 'it offers no skills (no tools)';
  const file = agent.fileCard;
  const merged = {
    ...file,
    name: file.name ?? content.name ?? agent.name,
    description: file.description ?? content.description ?? `Agent ${agent.name}`,
    version: file.version ?? content.version ?? '0.0.0',
    defaultInputModes: file.defaultInputModes ??
      content.defaultInputModes ?? ['application/json', 'text/plain'],
    defaultOutputModes: file.defaultOutputModes ??
      content.defaultOutputModes ?? ['application/json', 'text/plain'],
    skills: file.skills ?? content.skills,
    ...pick(file.provider ?? content.provider, 'provider'),
    ...pick(file.documentationUrl ?? content.documentationUrl, 'documentationUrl'),
    ...pick(file.iconUrl ?? content.iconUrl, 'iconUrl'),
  };
  const parsed = CardFileSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `its ${content.source.kind} card content is not valid: ${issue.path.join('.')}: ${issue.message}`;
  }
  agent.card = parsed.data;
  agent.extensions = content.extensions ?? [];
  return undefined;
}

/** `unavailable` as a value, or read live (a getter) while the executor has not connected. */
function setUnavailable(
  agent: HostedAgent,
  why: { value: string | undefined } | { get: () => string },
): void {
  const descriptor = 'get' in why ? why : { ...why, writable: true };
  Object.defineProperty(agent, 'unavailable', {
    ...descriptor,
    configurable: true,
    enumerable: true,
  });
}

/** Until its executor connects: what the file says, accepting any input (nothing is served). */
function placeholderCard(file: HostedAgentFile): CardFile {
  return {
    name: file.card.name ?? file.name,
    description: file.card.description ?? `Agent ${file.name}`,
    version: file.card.version ?? '0.0.0',
    defaultInputModes: file.card.defaultInputModes ?? ['*/*'],
    defaultOutputModes: file.card.defaultOutputModes ?? ['*/*'],
    skills: file.card.skills ?? [],
  };
}

function pick<K extends string, V>(value: V | undefined, key: K): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * What the gateway implements for every agent: cards must not claim more (§4.4.3
 * capabilities). `extendedAgentCard` is per agent: true when its file has an `extendedCard`;
 * `pushNotifications` is the gateway's setting (`GatewayFeatures`).
 */
export const GATEWAY_CAPABILITIES = {
  streaming: true,
  pushNotifications: false,
} as const;

/** What this gateway's configuration turns on for every agent. */
export interface GatewayFeatures {
  /** The gateway delivers push notifications (`PUSH_NOTIFICATIONS`). */
  pushNotifications?: boolean;
}

export class AgentCardError extends Error {
  constructor(
    readonly path: string,
    readonly field: string,
    message: string,
  ) {
    super(`${path}: ${field ? `${field}: ` : ''}${message}`);
    this.name = 'AgentCardError';
  }
}

/**
 * Reads every `*.json` file of `dir`. A bad file stops start-up with its path and the field,
 * so a typo never serves a half-valid card.
 */
export async function loadHostedAgents(dir: string): Promise<HostedAgent[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    throw new AgentCardError(
      dir,
      '',
      `cannot read the agent cards folder (${(error as Error).message})`,
    );
  }
  if (names.length === 0) throw new AgentCardError(dir, '', 'no agent card files (*.json) found');
  const agents: HostedAgent[] = [];
  for (const file of names) {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new AgentCardError(path, '', `not valid JSON (${(error as Error).message})`);
    }
    const parsed = HostedAgentFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AgentCardError(path, issue.path.join('.'), issue.message);
    }
    const { mtime } = await stat(path);
    const builtin = parsed.data.executor.kind === 'builtin';
    agents.push({
      name: parsed.data.name,
      isDefault: parsed.data.default ?? false,
      // A builtin agent's card is whole (superRefine); the others' comes with applyCardContent.
      card: builtin ? (parsed.data.card as CardFile) : placeholderCard(parsed.data),
      fileCard: parsed.data.card,
      extensions: [],
      ...(builtin ? {} : { unavailable: 'not connected yet' }),
      revision: 0,
      ...(parsed.data.extendedCard ? { extendedCard: parsed.data.extendedCard } : {}),
      executor: parsed.data.executor,
      timeoutMs: parsed.data.timeoutMs,
      onRestart: parsed.data.onRestart,
      requiredScopes: parsed.data.auth?.scopes ?? [],
      source: path,
      baseDir: dirname(path),
      modifiedAt: mtime,
    });
  }
  for (const agent of agents) {
    const ids = new Set((agent.fileCard.skills ?? []).map((skill) => skill.id));
    for (const [i, skill] of (agent.extendedCard?.skills ?? []).entries()) {
      // Clients tell skills apart by id: an extended skill must not shadow a public one.
      if (ids.has(skill.id))
        throw new AgentCardError(
          agent.source,
          `extendedCard.skills.${i}.id`,
          `${skill.id} is used twice`,
        );
      ids.add(skill.id);
    }
  }
  const seen = new Set<string>();
  for (const agent of agents) {
    if (seen.has(agent.name))
      throw new AgentCardError(agent.source, 'name', `${agent.name} is used twice`);
    seen.add(agent.name);
  }
  const defaults = agents.filter((agent) => agent.isDefault);
  if (defaults.length > 1) {
    throw new AgentCardError(defaults[1]!.source, 'default', 'only one agent can be the default');
  }
  if (defaults.length === 0) agents[0]!.isDefault = true;
  return agents;
}

/** What sending to the agent takes: the send scope and any its file requires (`auth.scopes`). */
function scopesToCall(agent: HostedAgent): string[] {
  return [...new Set([SCOPES.send, ...agent.requiredScopes])];
}

/**
 * The card as served: interfaces point at this gateway (PUBLIC_URL), capabilities tell the
 * truth, and with `auth` the card says how to authenticate (§7.3).
 */
export function publicCard(
  agent: HostedAgent,
  publicUrl: string,
  tenant?: string,
  auth?: EnabledAuth,
  features: GatewayFeatures = {},
): AgentCard {
  const base = publicUrl.replace(/\/+$/, '');
  const url = `${base}${tenant ? `/${encodeURIComponent(tenant)}` : ''}/agents/${agent.name}`;
  const scope = tenant ? { tenant } : {};
  return {
    ...agent.card,
    supportedInterfaces: [
      { url, protocolBinding: 'JSONRPC', protocolVersion: '1.0', ...scope },
      { url, protocolBinding: 'JSONRPC', protocolVersion: '0.3', ...scope },
    ],
    capabilities: {
      ...GATEWAY_CAPABILITIES,
      pushNotifications: features.pushNotifications === true,
      ...(agent.extensions.length > 0 ? { extensions: agent.extensions } : {}),
      extendedAgentCard: agent.extendedCard !== undefined,
    },
    ...(auth ? cardSecurity(auth, scopesToCall(agent)) : {}),
  };
}

/**
 * The card an authenticated caller gets (§3.1.11): the public one with the extension's skills
 * after the public ones and its description, if it has one. Undefined when the agent has none.
 */
export function extendedCard(
  agent: HostedAgent,
  publicUrl: string,
  tenant?: string,
  auth?: EnabledAuth,
  features: GatewayFeatures = {},
): AgentCard | undefined {
  const extension = agent.extendedCard;
  if (!extension) return undefined;
  const card = publicCard(agent, publicUrl, tenant, auth, features);
  return {
    ...card,
    description: extension.description ?? card.description,
    skills: [...card.skills, ...extension.skills],
  };
}
