import type { StoredEvent } from '../events/index.js';
import {
  type AbortCause,
  type AgentExecutor,
  type Emission,
  RunAborted,
} from '../executors/index.js';
import type { Logger } from '../observability/index.js';
import type { EventStore, Subscription } from '../store/index.js';
import {
  type AttributedCommand,
  type CommandContext,
  decide,
  eventIds,
  evolve,
  isSettled,
  isTerminal,
  type SubmitTaskCommand,
  type TaskAggregate,
  type TaskCommand,
  type TaskCommands,
  TaskConflictError,
  TaskTerminalError,
  type TaskView,
  toTask,
} from '../tasks/index.js';
import type { InstanceLeases } from './instance-leases.js';
import { gatewayNote, toCommand } from './run-reports.js';
import { createRunWriter } from './run-writer.js';

/** How long a staged submission waits for its run's first report before it is stored alone. */
const STAGE_MS = 20;

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

export interface TaskLifecycleOptions {
  store: EventStore;
  commands: TaskCommands;
  view: Pick<TaskView, 'unsettled'>;
  leases: InstanceLeases;
  /** Resolves a task's agent name; undefined fails the task (no such agent any more). */
  runtimeFor: (agent: string) => AgentRuntime | undefined;
  /** Names this instance; its runs are its own after a restart under the same name. */
  instance: string;
  /**
   * How long this instance's lease lasts unrenewed (it renews at a third of it): the longest
   * the runs of an instance that died wait before another instance takes them over.
   */
  leaseMs?: number;
  logger: Logger;
  now?: () => Date;
}

export interface TaskLifecycle {
  /** Takes this instance's lease, recovers what it left unfinished, then runs new work. */
  start(): Promise<void>;
  /**
   * Runs a new task whose submission is stored together with its run's first report (one
   * commit less), for a caller that reports nothing before the task's first update (a
   * blocking or streaming SendMessage). Only for agents that claim with their first update
   * (no side effects); false when the task must be submitted the usual way. A run that
   * reports nothing within a few milliseconds stores the submission alone.
   */
  stage(command: SubmitTaskCommand, context: CommandContext): boolean;
  /** Aborts running executors (their tasks stay resumable), stops, and frees the lease. */
  stop(): Promise<void>;
  /** Runs in progress in this process. */
  readonly running: number;
}

/**
 * The process manager of a task: a message this instance accepted starts a run of the agent's
 * executor at once (told by the command handler, no store read); each report becomes a
 * command through the task aggregate; a cancel aborts the run; a timeout, a throw or a run
 * that ends without a final state fails the task. A run is claimed with `StartExecution` for
 * a numbered attempt, so of several instances racing for a task exactly one runs it. Runs of
 * an instance whose lease expired are taken over, per the agent's `onRestart`.
 */
export function createTaskLifecycle(options: TaskLifecycleOptions): TaskLifecycle {
  const { store, commands, view, logger, leases, instance } = options;
  const now = options.now ?? (() => new Date());
  const leaseMs = options.leaseMs ?? 15_000;
  const runs = new Map<string, { controller: AbortController; done: Promise<void> }>();
  // Tasks that got a new message while a run of theirs was still ending: looked at after it.
  const deferred = new Set<string>();
  const stops: (() => unknown)[] = [];
  let stopping = false;

  const stamp = () => now().toISOString();

  function context(task: TaskAggregate, cause?: StoredEvent): CommandContext {
    return {
      tenant: task.tenant,
      correlationId: cause?.correlationId ?? `saga-${task.id}`,
      ...(cause ? { causationId: cause.id } : {}),
      source: `saga:${instance}`,
    };
  }

  /** Commands the saga issues may race a cancel or a takeover; a refusal then is fine. */
  async function tryCommand(
    task: TaskAggregate,
    command: TaskCommand | TaskCommand[],
    cause?: StoredEvent,
  ) {
    try {
      return await commands.handle(task.id, command, context(task, cause));
    } catch (error) {
      if (error instanceof TaskTerminalError || error instanceof TaskConflictError)
        return undefined;
      throw error;
    }
  }

  function launch(
    task: TaskAggregate,
    resumed: boolean,
    cause?: StoredEvent,
    staged?: AttributedCommand,
  ): void {
    if (stopping) return;
    if (runs.has(task.id)) {
      deferred.add(task.id);
      return;
    }
    const controller = new AbortController();
    const done = run(task, resumed, controller, cause, staged)
      .catch((error) => logger.error('task run failed unexpectedly', { taskId: task.id, error }))
      .finally(() => {
        runs.delete(task.id);
        if (deferred.delete(task.id) && !stopping) void continueIfPending(task);
      });
    runs.set(task.id, { controller, done });
  }

  /** A follow-up that arrived while the previous run was ending starts the next run. */
  async function continueIfPending(task: TaskAggregate): Promise<void> {
    const current = await commands.peek(task.id, task.tenant).catch(() => undefined);
    if (current?.pendingRun) launch(current, false);
  }

  async function run(
    seen: TaskAggregate,
    resumed: boolean,
    controller: AbortController,
    cause: StoredEvent | undefined,
    staged: AttributedCommand | undefined,
  ): Promise<void> {
    const runtime = options.runtimeFor(seen.agent);
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
    const sagaContext = staged
      ? {
          ...context(seen),
          correlationId: staged.context.correlationId,
          causationId: eventIds.submitted(seen.id),
        }
      : context(seen, cause);
    let task = seen;
    // The claim travels with the first report (one write less), or is written before the run
    // for executors whose side effects must not happen twice.
    if (runtime.claim === 'before-run') {
      const claimed = await tryCommand(seen, claim, cause);
      if (!claimed?.changed) return;
      task = claimed.task;
    }
    const writer = createRunWriter({
      commands,
      taskId: task.id,
      context: sagaContext,
      leading: [
        ...(staged ? [staged] : []),
        ...(runtime.claim === 'with-first-update'
          ? [{ command: claim, context: sagaContext }]
          : []),
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
    const stageTimer = staged
      ? setTimeout(() => {
          writer.flush().catch((error) => {
            if (error instanceof RunAborted) abort('superseded');
            else logger.warn('could not store a staged submission', { taskId: task.id, error });
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
      settled = isSettled(result.task);
    };
    try {
      await runtime.executor.execute(
        { task: toTask(task), message, agent: task.agent, signal: controller.signal, resumed },
        emit,
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
      logger.warn('task run failed', { taskId: task.id, reason });
      await fail(reason);
    } finally {
      clearTimeout(timer);
      clearTimeout(stageTimer);
    }
  }

  /** Runs `task` again, or fails it, as its agent says for runs their instance left behind. */
  async function adopt(task: TaskAggregate, why: string): Promise<void> {
    const runtime = options.runtimeFor(task.agent);
    if (runtime?.onRestart === 'resume') {
      logger.info('resuming a task whose run was interrupted', { taskId: task.id, why });
      launch(task, true);
      return;
    }
    logger.info('failing a task whose run was interrupted', { taskId: task.id, why });
    const current = await commands.peek(task.id, task.tenant);
    if (current && !isSettled(current)) {
      const note = gatewayNote(`interrupted: ${why} while the task was running`);
      await tryCommand(current, { type: 'Fail', message: note, at: stamp() });
    }
  }

  /**
   * Unsettled tasks nobody runs: this instance's own from before a restart (at once), those
   * of instances whose lease expired, and messages waiting longer than a lease for a run.
   */
  async function takeOver(atStart: boolean): Promise<void> {
    // An exclusive store has one process: any other instance in it is a previous life.
    const alive = store.exclusive ? new Set([instance]) : await leases.alive();
    alive.add(instance);
    const stale = now().getTime() - leaseMs;
    for (const listed of await view.unsettled()) {
      if (stopping) return;
      if (runs.has(listed.id)) continue;
      const task = (await commands.peek(listed.id, listed.tenant)) ?? listed;
      if (isSettled(task)) continue;
      if (task.pendingRun) {
        const waiting = Date.parse(task.status.timestamp ?? '') < stale;
        if (atStart || waiting) launch(task, false);
      } else if (task.runner === instance) {
        if (atStart) await adopt(task, 'the gateway restarted');
      } else if (!task.runner || !alive.has(task.runner)) {
        await adopt(task, `instance ${task.runner ?? '?'} stopped`);
      }
    }
  }

  function onCommitted(task: TaskAggregate, events: readonly StoredEvent[]): void {
    for (const event of events) {
      if (event.type === 'task.submitted') {
        // A staged submission is stored by its own run.
        if (!runs.has(task.id)) launch(task, false, event);
      } else if (event.type === 'task.message_received') {
        launch(task, false, event);
      } else if (
        event.type === 'task.status_changed' &&
        task.status.state === 'TASK_STATE_CANCELED'
      ) {
        runs.get(task.id)?.controller.abort(new RunAborted('canceled'));
      }
    }
  }

  /** A cancel accepted by another instance aborts the run here (shared stores only). */
  async function followCancels(subscription: Subscription): Promise<void> {
    try {
      for await (const event of subscription) {
        const state = (event.data as { status?: { state?: string } }).status?.state;
        if (state === 'TASK_STATE_CANCELED') {
          runs
            .get(event.streamId.slice('task-'.length))
            ?.controller.abort(new RunAborted('canceled'));
        }
      }
    } catch (error) {
      if (!stopping) logger.error('task lifecycle stopped following cancels', { error });
    }
  }

  async function renew(): Promise<void> {
    try {
      await leases.renew(instance, leaseMs);
    } catch (error) {
      logger.warn('could not renew this instance’s lease', { error });
    }
  }

  return {
    async start() {
      await leases.renew(instance, leaseMs);
      const renewal = setInterval(() => void renew(), leaseMs / 3);
      renewal.unref();
      stops.push(() => clearInterval(renewal));
      stops.push(commands.onCommitted(onCommitted));
      if (!store.exclusive) {
        const cancels = store.subscribe({ from: 'end', types: ['task.status_changed'] });
        await cancels.ready;
        const following = followCancels(cancels);
        stops.push(
          () => cancels.close(),
          () => following,
        );
      }
      await takeOver(true);
      const scan = setInterval(() => {
        takeOver(false).catch((error) =>
          logger.warn('looking for orphaned runs failed', { error }),
        );
      }, leaseMs / 2);
      scan.unref();
      stops.push(() => clearInterval(scan));
    },

    stage(command, commandContext) {
      if (stopping || runs.has(command.taskId)) return false;
      if (options.runtimeFor(command.agent)?.claim !== 'with-first-update') return false;
      // The task as its submission will make it; stored with the run's first report.
      const [submitted] = decide(command, undefined);
      const task: TaskAggregate = {
        ...evolve(undefined, submitted!, command.at),
        tenant: commandContext.tenant,
        version: 0,
        position: 0,
      };
      launch(task, false, undefined, { command, context: commandContext });
      return true;
    },

    async stop() {
      stopping = true;
      for (const { controller } of runs.values()) controller.abort(new RunAborted('shutdown'));
      await Promise.allSettled([...runs.values()].map((r) => r.done));
      for (const step of stops.splice(0)) await step();
      // Its runs were aborted and stay resumable: another instance may take them at once.
      await leases.release(instance).catch((error) => {
        logger.warn('could not release this instance’s lease', { error });
      });
    },

    get running() {
      return runs.size;
    },
  };
}
