import type { AgentCard, AgentExtension, AgentSkill } from '../protocol/index.js';
import type { AgentExecutor } from './agent-executor.js';

/**
 * What an executor puts on its agent's card: the skills of an MCP server's tools, or the
 * upstream agent's card. The agent file's own `card` fields win over these; the gateway adds
 * its interfaces, capabilities and security.
 */
export interface CardContent {
  skills: AgentSkill[];
  name?: string;
  description?: string;
  version?: string;
  provider?: AgentCard['provider'];
  documentationUrl?: string;
  iconUrl?: string;
  defaultInputModes?: string[];
  defaultOutputModes?: string[];
  /** Extensions the card declares (`capabilities.extensions`), e.g. the tools' input schemas. */
  extensions?: AgentExtension[];
  /** What the content came from, recorded as an event whenever `digest` changes. */
  source: {
    /** `mcp` (a server's tool list) or `a2a` (an upstream card). */
    kind: 'mcp' | 'a2a';
    /** The MCP server (command or URL) or the upstream card URL. */
    origin: string;
    /** The MCP server's or the upstream card's own version, when it gives one. */
    version?: string;
    /** Hex SHA-256 of the content as fetched (the tool list, the upstream card). */
    digest: string;
  };
}

/** Circuit breaker states, as health and metrics show them. */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface ExecutorHealth {
  /** `starting`: not connected yet; `degraded`: serving, with trouble (retrying, half-open). */
  status: 'starting' | 'up' | 'degraded' | 'down';
  /** What a person needs to know when it is not `up`: the last error, the next retry. */
  detail?: string;
  breaker?: BreakerState;
}

/**
 * One hosted agent's executor with its lifetime: connections opened at start, a card that may
 * change while the gateway runs, health, and a close at shutdown. The builtin agents have no
 * connections; MCP and upstream A2A agents do.
 */
export interface HostedExecutor {
  readonly executor: AgentExecutor;
  /** Recorded in `task.execution_started`: `builtin:echo`, `mcp:<origin>`, `a2a:<card URL>`. */
  readonly name: string;
  /**
   * `with-first-update` only for executors without side effects outside the task (builtin);
   * MCP tools and upstream agents act on the world, so they claim `before-run`.
   */
  readonly claim: 'before-run' | 'with-first-update';
  /**
   * Connects and learns the card content. Resolves once ready, or once the first attempt
   * failed (it logs why and keeps trying in the background): a peer that is down at start
   * does not stop the gateway. Rejects only on a configuration error (a secret missing).
   */
  start(): Promise<void>;
  /** The card content known now; undefined until first known (the card is then unavailable). */
  card(): CardContent | undefined;
  /** Called after `card()` changed (tools/list_changed, a refreshed upstream card). */
  onCardChange(listener: () => void): () => void;
  health(): ExecutorHealth;
  /** Closes connections and child processes; runs in flight have been aborted before. */
  close(): Promise<void>;
}

/** What every executor kind may use, given by the composition root. */
export interface ExecutorDeps {
  /** The hosted agent's name (its URL segment). */
  agent: string;
  /** The folder of the agent's file: relative paths in it (an MCP server's cwd) start here. */
  baseDir: string;
  /** The agent's run timeout (`timeoutMs` of its file). */
  timeoutMs: number;
  log: ExecutorLog;
  /** This gateway, for delegation traces: loops through it are refused beyond `maxDepth`. */
  gateway: { id: string; maxDelegationDepth: number };
}

/** The logger's shape, so that executors need no import from observability/. */
export interface ExecutorLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}
