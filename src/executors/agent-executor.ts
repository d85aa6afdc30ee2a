import type { Artifact, Message, Task, TaskState } from '../protocol/index.js';

/** What an executor may report while it works; the saga stores each as an event first. */
export type Emission =
  | {
      kind: 'status';
      state: Exclude<
        TaskState,
        'TASK_STATE_UNSPECIFIED' | 'TASK_STATE_SUBMITTED' | 'TASK_STATE_CANCELED'
      >;
      /** An agent message to show with the status (it joins the task's history). */
      message?: Message;
    }
  | { kind: 'artifact'; artifact: Artifact; append?: boolean; lastChunk?: boolean }
  /** Answer with a Message instead of working on a task (§3.1.1): the task completes with it. */
  | { kind: 'message'; message: Message }
  /** The task was handed to an upstream A2A agent: recorded (`task.delegated`) for the audit. */
  | { kind: 'delegated'; link: UpstreamLink };

/** Where a task went upstream: the upstream agent and its ids for the task. */
export interface UpstreamLink {
  /** The upstream agent's card URL. */
  cardUrl: string;
  /** The upstream card's `version`, and a digest of the card as it was when the task was sent. */
  cardVersion?: string;
  cardDigest?: string;
  /** The A2A version spoken to the upstream (`1.0`, `0.3`). */
  protocolVersion: string;
  remoteTaskId: string;
  remoteContextId?: string;
}

export interface ExecutionContext {
  /** The task as stored when the run began, its history ending with `message`. */
  task: Task;
  /** The user message this run answers. */
  message: Message;
  /** Name of the hosted agent (its agent card) the task was sent to. */
  agent: string;
  /** Aborted on cancel, timeout or shutdown; `signal.reason` says which. */
  signal: AbortSignal;
  /** True when the run repeats one a stopped process could not finish. */
  resumed: boolean;
  /**
   * Upstream tasks earlier runs of this task handed it to (oldest first): a resumed or
   * follow-up run continues the upstream task instead of starting another.
   */
  delegations: readonly UpstreamLink[];
}

/** Stores emissions; several given at once are stored together, atomically, in order. */
export type Emit = (...emissions: Emission[]) => Promise<void>;

/**
 * The port behind every hosted agent: builtin code, an MCP tool, an upstream A2A agent.
 *
 * Contract:
 * - `emit` resolves once the emissions are stored; it rejects when the task no longer takes
 *   updates (canceled meanwhile) — stop then. Emitting a last artifact together with the
 *   final status saves a write.
 * - A run ends by emitting a terminal state (completed, failed, rejected), an interrupted one
 *   (input-required, auth-required; the next user message starts a new run) or a `message`,
 *   and then returning. Returning without one fails the task; so does throwing.
 * - Honour `signal`: return (or throw) promptly once it is aborted. Executors never write to
 *   the store themselves.
 * - Runs may repeat after a crash (`resumed`): use ids derived from the input (e.g. the
 *   artifactId from the messageId) so a repeat replaces rather than duplicates.
 *
 * @example
 * const shout: AgentExecutor = {
 *   async execute({ message }, emit) {
 *     const text = message.parts.map((part) => part.text ?? '').join('');
 *     await emit(
 *       { kind: 'artifact', artifact: { artifactId: `shout-${message.messageId}`, parts: [{ text: text.toUpperCase() }] } },
 *       { kind: 'status', state: 'TASK_STATE_COMPLETED' },
 *     );
 *   },
 * };
 */
export interface AgentExecutor {
  execute(context: ExecutionContext, emit: Emit): Promise<void>;
}

/** Why a run's signal was aborted. */
export type AbortCause = 'canceled' | 'timeout' | 'shutdown' | 'superseded';

export class RunAborted extends Error {
  constructor(readonly why: AbortCause) {
    super(`run aborted: ${why}`);
    this.name = 'RunAborted';
  }
}
