import type { Bus } from '../bus/index.js';
import type { StoredEvent } from '../events/index.js';
import { RunAborted } from '../executors/index.js';
import type { Logger, Tracing } from '../observability/index.js';
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
import { createRunJobs } from './run-jobs.js';
import { gatewayNote } from './run-reports.js';
import {
  type AgentRuntime,
  causeOf,
  type RunCause,
  runTask,
  sagaContext,
  tryTaskCommand,
} from './task-run.js';

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
  /**
   * Where runs wait for an instance (topic `task.run`): a message this instance stores is
   * queued there and run by whichever instance takes it. Without one, it runs here.
   */
  bus?: Pick<Bus, 'publish' | 'subscribe'>;
  logger: Logger;
  /** A span per run and executor call, continuing the trace of the message it runs for. */
  tracing?: Tracing;
  now?: () => Date;
}

export interface TaskLifecycle {
  /**
   * Takes this instance's lease, recovers what it left unfinished, then runs new work: the
   * run jobs of every instance too, when there is a bus.
   */
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
  /**
   * Stops taking run jobs (one whose run is not claimed yet goes back to the queue), aborts
   * running executors (their tasks stay resumable), stops, and frees the lease.
   */
  stop(): Promise<void>;
  /** Runs in progress in this process. */
  readonly running: number;
}

/**
 * The process manager of a task: a message this instance stored (told by the command handler,
 * no store read) is queued as a run job on the bus, and whichever instance takes the job runs
 * the agent's executor (with no bus, this instance runs it at once; a staged submission runs
 * at once where it was accepted); each report becomes a command through the task aggregate;
 * a cancel aborts the run; a timeout, a throw or a run that ends without a final state fails
 * the task. A run is claimed with `StartExecution` for a numbered attempt, so of several
 * instances racing for a task exactly one runs it. Runs of an instance whose lease expired
 * are taken over, per the agent's `onRestart`.
 */
export function createTaskLifecycle(options: TaskLifecycleOptions): TaskLifecycle {
  const { store, commands, view, logger, leases, instance, bus } = options;
  const now = options.now ?? (() => new Date());
  const leaseMs = options.leaseMs ?? 15_000;
  const runs = new Map<string, { controller: AbortController; done: Promise<void> }>();
  // Tasks that got a new message while a run of theirs was still ending: looked at after it.
  const deferred = new Set<string>();
  const stops: (() => unknown)[] = [];
  let stopping = false;

  const stamp = () => now().toISOString();

  const runDeps = {
    commands,
    instance,
    logger,
    stamp,
    ...(options.tracing ? { tracing: options.tracing } : {}),
  };
  const context = (task: TaskAggregate, cause?: RunCause) => sagaContext(instance, task, cause);
  const tryCommand = (task: TaskAggregate, command: TaskCommand, cause?: RunCause) =>
    tryTaskCommand(commands, task.id, command, context(task, cause));

  /**
   * Starts a run of `task` here. Its promise tells once the run's claim is stored (true) or
   * the run ended without one (false); none when it did not start (stopping, or a run of the
   * task is still ending: the next starts after it).
   */
  function launch(
    task: TaskAggregate,
    resumed: boolean,
    cause?: RunCause,
    staged?: AttributedCommand,
  ): Promise<boolean> | undefined {
    if (stopping) return undefined;
    if (runs.has(task.id)) {
      deferred.add(task.id);
      return undefined;
    }
    const controller = new AbortController();
    let claimed: (stored: boolean) => void = () => {};
    const claim = new Promise<boolean>((resolve) => {
      claimed = resolve;
    });
    const done = runTask(runDeps, {
      seen: task,
      runtime: options.runtimeFor(task.agent),
      resumed,
      controller,
      cause,
      staged,
      onClaimed: () => claimed(true),
    })
      .catch((error) =>
        logger.error('task run failed unexpectedly', {
          taskId: task.id,
          tenant: task.tenant,
          error,
        }),
      )
      .finally(() => {
        claimed(false);
        runs.delete(task.id);
        if (deferred.delete(task.id) && !stopping) void continueIfPending(task);
      });
    runs.set(task.id, { controller, done });
    return claim;
  }

  const jobs = bus
    ? createRunJobs({
        bus,
        commands,
        instance,
        logger,
        launch: (task, cause) => launch(task, false, cause),
        running: (taskId) => runs.get(taskId)?.done,
        stopping: () => stopping,
      })
    : undefined;

  /** A message stored here waits for a run: queued for any instance, or run here. */
  function requestRun(task: TaskAggregate, event: StoredEvent): void {
    if (jobs) jobs.request(task, event);
    else launch(task, false, causeOf(event));
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
      logger.info('resuming a task whose run was interrupted', {
        taskId: task.id,
        tenant: task.tenant,
        why,
      });
      launch(task, true);
      return;
    }
    logger.info('failing a task whose run was interrupted', {
      taskId: task.id,
      tenant: task.tenant,
      why,
    });
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
        if (!runs.has(task.id)) requestRun(task, event);
      } else if (event.type === 'task.message_received') {
        requestRun(task, event);
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
      await jobs?.start(leaseMs);
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
      // No more jobs; those in hand end as their runs do below, unclaimed ones handed back.
      const drained = jobs?.stop();
      stopping = true;
      for (const { controller } of runs.values()) controller.abort(new RunAborted('shutdown'));
      await Promise.allSettled([...runs.values()].map((r) => r.done));
      await drained;
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
