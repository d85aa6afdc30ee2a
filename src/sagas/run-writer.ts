import { RunAborted } from '../executors/index.js';
import {
  type AttributedCommand,
  type CommandContext,
  type CommandResult,
  type TaskCommand,
  type TaskCommands,
  TaskConflictError,
} from '../tasks/index.js';

export interface RunWriter {
  /**
   * Stores `toWrite` after whatever must lead it and is not written yet. Throws
   * `RunAborted('superseded')` when the task turns out to be another run's: its submission
   * was someone else's, another instance claimed it, or took it over.
   */
  write(toWrite: TaskCommand[]): Promise<CommandResult>;
  /** Stores the leading commands now, alone (a staged submission has waited long enough). */
  flush(): Promise<void>;
  /** Leading commands are still unwritten. */
  readonly leading: boolean;
}

/**
 * The writes of one run, one at a time and in order. Commands that must precede the run's
 * reports (a staged submission, the claim) travel with its first report: one append less
 * each, and nothing is stored that the run did not get to.
 */
export function createRunWriter(options: {
  commands: TaskCommands;
  taskId: string;
  /** The saga's context, for what the run reports. */
  context: CommandContext;
  leading: AttributedCommand[];
}): RunWriter {
  let leading = options.leading;
  let queue: Promise<unknown> = Promise.resolve();

  function serially<T>(work: () => Promise<T>): Promise<T> {
    const next = queue.then(work);
    queue = next.catch(() => {});
    return next;
  }

  async function store(toWrite: (TaskCommand | AttributedCommand)[]): Promise<CommandResult> {
    const submits = leading.some((item) => item.command.type === 'SubmitTask');
    let result: CommandResult;
    try {
      result = await options.commands.handle(options.taskId, toWrite, options.context);
    } catch (error) {
      if (error instanceof TaskConflictError) throw new RunAborted('superseded');
      throw error;
    }
    // The same task id was submitted by another request first (a retried Idempotency-Key).
    if (submits && !result.changed) throw new RunAborted('superseded');
    leading = [];
    return result;
  }

  return {
    write: (toWrite) => serially(() => store([...leading, ...toWrite])),
    async flush() {
      await serially(async () => {
        const submission = leading.filter((item) => item.command.type === 'SubmitTask');
        if (submission.length === 0) return;
        const rest = leading.filter((item) => item.command.type !== 'SubmitTask');
        await store(submission);
        leading = rest;
      });
    },
    get leading() {
      return leading.length > 0;
    },
  };
}
