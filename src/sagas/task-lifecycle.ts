import type { StoredEvent } from '../events/index.js';
import { RunAborted } from '../executors/index.js';
import type { Logger } from '../observability/index.js';
import type { EventStore, Subscription } from '../store/index.js';
import {
  type AttributedCommand,
  type CommandContext,
  decide,
  evolve,
  isSettled,
  type SubmitTaskCommand,
  type TaskAggregate,
  type TaskCommand,
  type TaskCommands,
  type TaskView,
} from '../tasks/index.js';
import type { InstanceLeases } from './instance-leases.js';
import { gatewayNote } from './run-reports.js';
import { type AgentRuntime, runTask, sagaContext, tryTaskCommand } from './task-run.js';

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
   * Runs a new task whose submission is stored together with its run's claim (one commit
   * less), for a caller that reports nothing before the task's first update (a blocking or
   * streaming SendMessage). An agent that claims with its first update (no side effects)
   * stores all three at once, and one that reports nothing within a few milliseconds stores
   * the submission alone; an agent that claims before its run (MCP tools, upstream agents)
   * stores the submission and the claim, then runs. False when the task must be submitted
   * the usual way (no such agent, stopping).
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

  const runDeps = { commands, instance, logger, stamp };
  const context = (task: TaskAggregate, cause?: StoredEvent) => sagaContext(instance, task, cause);
  const tryCommand = (task: TaskAggregate, command: TaskCommand, cause?: StoredEvent) =>
    tryTaskCommand(commands, task.id, command, context(task, cause));

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
    const done = runTask(runDeps, {
      seen: task,
      runtime: options.runtimeFor(task.agent),
      resumed,
      controller,
      cause,
      staged,
    })
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
      if (!options.runtimeFor(command.agent)) return false;
      // The task as its submission will make it; stored with the run's first report.
      const [submitted] = decide(command, undefined);
      const task: TaskAggregate = {
        ...evolve(undefined, submitted!, command.at),
        tenant: commandContext.tenant,
        ...(commandContext.principal ? { owner: commandContext.principal } : {}),
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
