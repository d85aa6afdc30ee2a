import { randomUUID } from 'node:crypto';
import type {
  Artifact,
  Message,
  StreamResponse,
  Task,
  TaskState,
  TaskStatus,
} from '../../protocol/index.js';
import type { Emission } from '../agent-executor.js';

/** Where the run stands after an upstream event. */
export type Outcome =
  | 'continue'
  /** Input or authentication required: the run ends, the next message continues the task. */
  | 'interrupted'
  /** Completed, failed, rejected or canceled: the run ends. */
  | 'final'
  /** The upstream answered with a Message instead of a task. */
  | 'replied';

export interface MirrorStep {
  emissions: Emission[];
  outcome: Outcome;
}

const FINAL: ReadonlySet<TaskState> = new Set([
  'TASK_STATE_COMPLETED',
  'TASK_STATE_FAILED',
  'TASK_STATE_REJECTED',
  'TASK_STATE_CANCELED',
]);

export function isFinal(state: TaskState): boolean {
  return FINAL.has(state);
}

/**
 * Our copy of an upstream task, fed its stream events or the snapshots of polls: each turns
 * into the emissions that bring our task level with it. Snapshots give only what changed
 * since the last one (new or changed artifacts, a new state or status message).
 */
export class UpstreamTaskMirror {
  /** Each artifact as the upstream has it now (appends folded in), as stable JSON. */
  private readonly artifacts = new Map<string, string>();
  private status: TaskStatus | undefined;
  private readonly canceledByUs: () => boolean;

  constructor(
    private readonly upstream: string,
    options: {
      /** Artifacts our task has already (from earlier runs): not emitted again unchanged. */
      known?: readonly Artifact[];
      /**
       * The upstream status known before the first event (a follow-up's GetTask): a snapshot
       * still showing it (the input request just answered) is no news.
       */
      status?: TaskStatus;
      /** True once our side asked the upstream to cancel: its CANCELED is then expected. */
      canceledByUs: () => boolean;
    },
  ) {
    for (const artifact of options.known ?? []) this.remember(artifact);
    this.status = options.status;
    this.canceledByUs = options.canceledByUs;
  }

  onEvent(event: StreamResponse): MirrorStep {
    if (event.task) return this.onTask(event.task);
    if (event.message)
      return { emissions: [{ kind: 'message', message: event.message }], outcome: 'replied' };
    if (event.artifactUpdate) {
      const { artifact, append, lastChunk } = event.artifactUpdate;
      this.fold(artifact, append === true);
      return {
        emissions: [
          {
            kind: 'artifact',
            artifact,
            ...(append !== undefined ? { append } : {}),
            ...(lastChunk !== undefined ? { lastChunk } : {}),
          },
        ],
        outcome: 'continue',
      };
    }
    if (event.statusUpdate) return this.onStatus(event.statusUpdate.status, true);
    return { emissions: [], outcome: 'continue' };
  }

  /** A whole task (a poll, the first event of a stream): what changed since the last look. */
  onTask(task: Task): MirrorStep {
    const emissions: Emission[] = [];
    for (const artifact of task.artifacts ?? []) {
      if (this.artifacts.get(artifact.artifactId) === stableJson(artifact)) continue;
      this.remember(artifact);
      emissions.push({ kind: 'artifact', artifact });
    }
    const status = this.onStatus(task.status, false);
    return { emissions: [...emissions, ...status.emissions], outcome: status.outcome };
  }

  /**
   * `announced`: a status event, news by definition; a snapshot's status is news only when it
   * differs from the last one seen (state, message or time).
   */
  private onStatus(status: TaskStatus, announced: boolean): MirrorStep {
    const before = this.status;
    this.status = status;
    const { state, message } = status;
    const newState = state !== before?.state;
    const newMessage = message !== undefined && message.messageId !== before?.message?.messageId;
    const news = announced || newState || newMessage || status.timestamp !== before?.timestamp;
    const step = (emissions: Emission[], outcome: Outcome): MirrorStep => ({ emissions, outcome });
    const withMessage = message ? { message } : {};
    switch (state) {
      case 'TASK_STATE_SUBMITTED':
        return step([], 'continue');
      case 'TASK_STATE_WORKING':
        // WORKING again without a new message is not stored again.
        return step(
          newState || newMessage ? [{ kind: 'status', state, ...withMessage }] : [],
          'continue',
        );
      case 'TASK_STATE_INPUT_REQUIRED':
      case 'TASK_STATE_AUTH_REQUIRED':
        // The request a follow-up just answered, seen again before the upstream moves on.
        if (!news) return step([], 'continue');
        return step([{ kind: 'status', state, ...withMessage }], 'interrupted');
      case 'TASK_STATE_COMPLETED':
      case 'TASK_STATE_FAILED':
      case 'TASK_STATE_REJECTED':
        return step([{ kind: 'status', state, ...withMessage }], 'final');
      case 'TASK_STATE_CANCELED':
        // Our cancel is recorded on our side already; one we did not ask for fails our task.
        if (this.canceledByUs()) return step([], 'final');
        return step(
          [
            {
              kind: 'status',
              state: 'TASK_STATE_FAILED',
              message: canceledUpstream(this.upstream, message),
            },
          ],
          'final',
        );
      default:
        return step([], 'continue');
    }
  }

  private remember(artifact: Artifact): void {
    this.artifacts.set(artifact.artifactId, stableJson(artifact));
  }

  /** §4.2.2: `append` adds the parts to the artifact with the same id, else it replaces it. */
  private fold(artifact: Artifact, append: boolean): void {
    const before = this.artifacts.get(artifact.artifactId);
    if (!append || before === undefined) {
      this.remember(artifact);
      return;
    }
    const current = JSON.parse(before) as Artifact;
    this.remember({ ...current, parts: [...current.parts, ...artifact.parts] });
  }
}

/** JSON with sorted keys: a stored copy (jsonb orders keys its own way) compares equal. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function canceledUpstream(upstream: string, message: Message | undefined): Message {
  const said = message?.parts
    .map((part) => part.text ?? '')
    .join(' ')
    .trim();
  return {
    messageId: `gateway-${randomUUID()}`,
    role: 'ROLE_AGENT',
    parts: [{ text: `upstream ${upstream} canceled the task${said ? `: ${said}` : ''}` }],
  };
}
