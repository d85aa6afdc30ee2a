import type { StoredEvent } from '../events/index.js';
import {
  type AbortCause,
  type AgentExecutor,
  type Emission,
  RunAborted,
} from '../executors/index.js';
import {
  contextFromTraceparent,
  currentTraceparent,
  type Logger,
  NO_TRACING,
  type Tracing,
} from '../observability/index.js';
import {
  type AttributedCommand,
  type CommandContext,
  type CommandResult,
  eventIds,
  isSettled,
  isTerminal,
  type TaskAggregate,
  type TaskCommand,
  type TaskCommands,
  TaskConflictError,
  TaskTerminalError,
  toTask,
} from '../tasks/index.js';
import { gatewayNote, toCommand } from './run-reports.js';
import { createRunWriter } from './run-writer.js';

/** How one hosted agent runs: its executor and the policies the saga applies around it. */
export interface AgentRuntime {
  executor: AgentExecutor;
  /** Name recorded in `task.execution_started` (e.g. `builtin:echo`). */
  executorName: string;
  /** A run longer than this is aborted and the task fails, saying so. */
  timeoutMs: number;
  /**
   * When the saga claims a task for a run: `before-run` writes the claim first (an executor
   * with side effects never runs twice); `with-first-update` writes it with the executor's
   * first update (a write less per run; for executors without side effects, such as the
   * builtin ones, since two instances may both start a run and one is then discarded).
   */
  claim: 'before-run' | 'with-first-update';
  /** What happens to a run its instance left unfinished (it died or restarted): again, or fail. */
  onRestart: 'resume' | 'fail';
}

/** How long a staged submission waits for its run's first report before it is stored alone. */
const STAGE_MS = 20;

export interface RunDeps {
  commands: TaskCommands;
  instance: string;
  logger: Logger;
  stamp: () => string;
  /** A span per run and per executor call; absent: none. */
  tracing?: Tracing;
}

export interface RunRequest {
  /** The task as the run found it. */
  seen: TaskAggregate;
  /** Undefined when its agent is gone: the task fails, saying so. */
  runtime: AgentRuntime | undefined;
  resumed: boolean;
  controller: AbortController;
  /** The message that asked for the run, for the audit's causation. */
  cause?: RunCause;
  /** A submission to store with the run's first report (see TaskLifecycle.stage). */
  staged?: AttributedCommand;
  /** Told once the run's claim is stored (perhaps more than once: the first counts). */
  onClaimed?: () => void;
}

/**
 * The event that asked for a run (a submission or a follow-up) as the run's events name it;
 * it travels in a run job to whichever instance runs the task.
 */
export interface RunCause {
  eventId: string;
  correlationId: string;
  principal?: string;
  /** The trace the message was part of: the run continues it, wherever it runs. */
  traceparent?: string;
}

export function causeOf(event: StoredEvent): RunCause {
  const { principal, traceparent } = event.metadata;
  return {
    eventId: event.id,
    correlationId: event.correlationId,
    ...(principal ? { principal } : {}),
    ...(traceparent ? { traceparent } : {}),
  };
}

/**
 * What the saga writes: its instance as the source, the triggering event as the cause, on
 * behalf of the principal who sent that message (or created the task).
 */
export function sagaContext(
  instance: string,
  task: TaskAggregate,
  cause?: RunCause,
  traceparent?: string,
): CommandContext {
  const principal = cause?.principal ?? task.owner;
  return {
    tenant: task.tenant,
    ...(principal ? { principal } : {}),
    correlationId: cause?.correlationId ?? `saga-${task.id}`,
    ...(cause ? { causationId: cause.eventId } : {}),
    source: `saga:${instance}`,
    ...(traceparent ? { traceparent } : {}),
  };
}

/** Commands the saga issues may race a cancel or a takeover; a refusal then is fine. */
export async function tryTaskCommand(
  commands: TaskCommands,
  taskId: string,
  command: TaskCommand,
  context: CommandContext,
) {
  try {
    return await commands.handle(taskId, command, context);
  } catch (error) {
    if (error instanceof TaskTerminalError || error instanceof TaskConflictError) return undefined;
    throw error;
  }
}

/** A staged submission and its claim, in one append; undefined when another request's won. */
async function claimStaged(
  commands: TaskCommands,
  taskId: string,
  toWrite: AttributedCommand[],
): Promise<CommandResult | undefined> {
  try {
    const result = await commands.handle(taskId, toWrite, toWrite[0]!.context);
    // Not changed: the same task id was submitted first by another request (Idempotency-Key).
    return result.changed ? result : undefined;
  } catch (error) {
    if (error instanceof TaskConflictError) return undefined;
    throw error;
  }
}

/**
 * One run of a task's executor: claims it (before the run, or with its first report), hands
 * each report to the task aggregate, and fails the task, saying why, when the executor throws,
 * times out or ends without a final state. A cancel, a shutdown or a takeover ends it quietly.
 */
export function runTask(deps: RunDeps, request: RunRequest): Promise<void> {
  const tracing = deps.tracing ?? NO_TRACING;
  if (!tracing.enabled) return runOnce(deps, request, NO_TRACING);
  const { seen, cause } = request;
  return tracing.inSpan(
    'task.run',
    {
      // Child of what started it here (a request, a run job), else of the message it runs for
      // (a run resumed by the lease scan); a run resumed after a restart starts a trace.
      ...(currentTraceparent() ? {} : { parent: contextFromTraceparent(cause?.traceparent) }),
      attributes: {
        'a2a.task.id': seen.id,
        'a2a.agent': seen.agent,
        'a2a.run.attempt': seen.attempts + 1,
        'a2a.run.resumed': request.resumed,
        'a2a.run.staged': request.staged !== undefined,
      },
    },
    () => runOnce(deps, request, tracing),
  );
}

async function runOnce(deps: RunDeps, request: RunRequest, tracing: Tracing): Promise<void> {
  const { commands, instance, logger, stamp } = deps;
  const { seen, runtime, resumed, controller, cause, staged } = request;
  const claimed = () => request.onClaimed?.();
  // The run's span, in what the run writes.
  const traceparent = tracing.enabled ? currentTraceparent() : undefined;
  const context = (task: TaskAggregate, from?: RunCause) =>
    sagaContext(instance, task, from, traceparent);
  const tryCommand = (task: TaskAggregate, command: TaskCommand, from?: RunCause) =>
    tryTaskCommand(commands, task.id, command, context(task, from));
  if (!runtime) {
    const note = gatewayNote(`no executor for agent ${seen.agent}`);
    await tryCommand(seen, { type: 'Fail', message: note, at: stamp() }, cause);
    return;
  }
  if (isTerminal(seen) || !(seen.pendingRun || (resumed && !isSettled(seen)))) return;
  const attempt = seen.attempts + 1;
  const claim: TaskCommand = {
    type: 'StartExecution',
    executor: runtime.executorName,
    instance,
    resumed,
    attempt,
    at: stamp(),
  };
  const runContext: CommandContext = staged
    ? {
        ...context(seen),
        correlationId: staged.context.correlationId,
        causationId: eventIds.submitted(seen.id),
      }
    : context(seen, cause);
  let task = seen;
  // The claim travels with the first report (one write less), or is written before the run
  // for executors whose side effects must not happen twice: then a staged submission goes
  // with it, still one write, and nothing has happened outside the task before it is stored.
  if (runtime.claim === 'before-run') {
    const stored = staged
      ? await claimStaged(commands, seen.id, [staged, { command: claim, context: runContext }])
      : await tryCommand(seen, claim, cause);
    if (!stored?.changed) return;
    task = stored.task;
    claimed();
  }
  const writer = createRunWriter({
    commands,
    taskId: task.id,
    context: runContext,
    leading: [
      ...(staged && runtime.claim === 'with-first-update' ? [staged] : []),
      ...(runtime.claim === 'with-first-update' ? [{ command: claim, context: runContext }] : []),
    ],
  });
  const message = task.history.findLast((m) => m.role === 'ROLE_USER');
  if (!message) return;
  const fail = (reason: string) =>
    writer
      .write([{ type: 'Fail', message: gatewayNote(reason), attempt, at: stamp() }])
      .catch((error) => {
        if (error instanceof RunAborted || error instanceof TaskTerminalError) return;
        throw error;
      });

  const abort = (why: AbortCause) => controller.abort(new RunAborted(why));
  const timer = setTimeout(() => abort('timeout'), runtime.timeoutMs);
  // A staged submission waits for the first report only briefly: a run that takes its time
  // must not leave its task unstored (invisible to lists, lost to a crash) meanwhile.
  const stageTimer = writer.leading
    ? setTimeout(() => {
        writer.flush().catch((error) => {
          if (error instanceof RunAborted) abort('superseded');
          else
            logger.warn('could not store a staged submission', {
              taskId: task.id,
              tenant: task.tenant,
              error,
            });
        });
      }, STAGE_MS)
    : undefined;
  let settled = false;
  const emit = async (...emissions: Emission[]): Promise<void> => {
    controller.signal.throwIfAborted();
    if (emissions.length === 0) return;
    const at = stamp();
    const result = await writer.write(
      emissions.map((emission) => toCommand(emission, at, attempt)),
    );
    // Stored after the claim, or with it.
    claimed();
    settled = isSettled(result.task);
  };
  try {
    await tracing.inSpan(
      'executor.execute',
      { attributes: { 'a2a.executor': runtime.executorName, 'a2a.agent': task.agent } },
      () =>
        runtime.executor.execute(
          {
            task: toTask(task),
            message,
            agent: task.agent,
            signal: controller.signal,
            resumed,
            delegations: task.delegations ?? [],
          },
          emit,
        ),
    );
    if (!settled) {
      // An executor may return instead of throwing once aborted: the abort is still why.
      controller.signal.throwIfAborted();
      await fail('the agent ended without a final state');
    }
  } catch (error) {
    const why =
      error instanceof RunAborted
        ? error.why
        : controller.signal.aborted
          ? (controller.signal.reason as RunAborted).why
          : undefined;
    if (why === 'canceled' || why === 'superseded') return;
    // Stopping: a staged submission is stored, so the task can be resumed after the restart.
    if (why === 'shutdown') {
      await writer.flush().catch(() => {});
      return;
    }
    if (error instanceof TaskTerminalError) return;
    const reason =
      why === 'timeout'
        ? `timed out after ${runtime.timeoutMs} ms`
        : `the agent failed: ${error instanceof Error ? error.message : String(error)}`;
    logger.warn('task run failed', { taskId: task.id, tenant: task.tenant, reason });
    await fail(reason);
  } finally {
    clearTimeout(timer);
    clearTimeout(stageTimer);
  }
}
