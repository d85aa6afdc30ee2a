import type { StoredEvent } from '../events/index.js';
import {
  type AbortCause,
  type AgentExecutor,
  type Emission,
  RunAborted,
} from '../executors/index.js';
import type { Logger } from '../observability/index.js';
import type { Message } from '../protocol/index.js';
import { type DurableSubscriber, type EventStore, startDurableSubscriber } from '../store/index.js';
import {
  type CommandContext,
  isSettled,
  isTerminal,
  type TaskAggregate,
  type TaskCommand,
  type TaskCommands,
  TaskConflictError,
  TaskTerminalError,
  type TaskView,
  toTask,
} from '../tasks/index.js';

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
  /** What a restart does with a task this instance left working: run it again, or fail it. */
  onRestart: 'resume' | 'fail';
}

export interface TaskLifecycleOptions {
  store: EventStore;
  commands: TaskCommands;
  view: TaskView;
  /** Resolves a task's agent name; undefined fails the task (no such agent any more). */
  runtimeFor: (agent: string) => AgentRuntime | undefined;
  /** Stable across restarts of this instance: recovery takes over only its own runs. */
  instance: string;
  logger: Logger;
  now?: () => Date;
}

export interface TaskLifecycle {
  /** Recovers what a previous process left unfinished, then follows new tasks. */
  start(): Promise<void>;
  /** Aborts running executors (their tasks stay resumable) and stops following. */
  stop(): Promise<void>;
  /** Runs in progress in this process. */
  readonly running: number;
}

/**
 * The process manager of a task: a submitted task or a follow-up message starts a run of the
 * agent's executor; each emission becomes a command through the task aggregate; a cancel
 * aborts the run; a timeout, a throw or a run that ends without a final state fails the task.
 * A task is claimed with `StartExecution` at the version the saga saw, so of several
 * instances racing for one task exactly one runs it.
 */
export function createTaskLifecycle(options: TaskLifecycleOptions): TaskLifecycle {
  const { store, commands, view, logger } = options;
  const now = options.now ?? (() => new Date());
  const runs = new Map<string, { controller: AbortController; done: Promise<void> }>();
  // Tasks that got a trigger while a run of theirs was still going: looked at again after it.
  const deferred = new Set<string>();
  let subscriber: DurableSubscriber | undefined;
  let stopping = false;

  function context(task: TaskAggregate, cause?: StoredEvent): CommandContext {
    return {
      tenant: task.tenant,
      correlationId: cause?.correlationId ?? `saga-${task.id}`,
      ...(cause ? { causationId: cause.id } : {}),
      source: `saga:${options.instance}`,
    };
  }

  /** Commands the saga issues may race a cancel; a task that has ended takes none: fine. */
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
    taskId: string,
    tenant: string,
    cause: StoredEvent | undefined,
    resumed: boolean,
  ): void {
    if (stopping) return;
    if (runs.has(taskId)) {
      deferred.add(taskId);
      return;
    }
    const controller = new AbortController();
    const done = run(taskId, tenant, cause, resumed, controller)
      .catch((error) => logger.error('task run failed unexpectedly', { taskId, error }))
      .finally(() => {
        runs.delete(taskId);
        if (deferred.delete(taskId) && !stopping) void continueIfPending(taskId, tenant);
      });
    runs.set(taskId, { controller, done });
  }

  /** A follow-up that arrived while the previous run was finishing starts the next run. */
  async function continueIfPending(taskId: string, tenant: string): Promise<void> {
    const task = await commands.load(taskId, tenant).catch(() => undefined);
    if (task?.pendingRun) launch(taskId, tenant, undefined, false);
  }

  async function run(
    taskId: string,
    tenant: string,
    cause: StoredEvent | undefined,
    resumed: boolean,
    controller: AbortController,
  ): Promise<void> {
    const loaded = await commands.peek(taskId, tenant);
    if (!loaded) return;
    const runtime = options.runtimeFor(loaded.agent);
    if (!runtime) {
      await tryCommand(
        loaded,
        { type: 'Fail', message: agentNote(`no executor for agent ${loaded.agent}`), at: stamp() },
        cause,
      );
      return;
    }
    const claim: TaskCommand = {
      type: 'StartExecution',
      executor: runtime.executorName,
      instance: options.instance,
      resumed,
      at: stamp(),
    };
    let task = loaded;
    // The claim travels with the first update (one write less), or is written before the run
    // for executors whose side effects must not happen twice.
    let pendingClaim: TaskCommand | undefined = claim;
    if (runtime.claim === 'before-run') {
      const claimed = await tryCommand(loaded, claim, cause);
      if (!claimed?.changed) return;
      task = claimed.task;
      pendingClaim = undefined;
    } else if (isTerminal(loaded) || !(loaded.pendingRun || (resumed && !isSettled(loaded)))) {
      return;
    }
    const message = [...task.history].reverse().find((m) => m.role === 'ROLE_USER');
    if (!message) return;
    /** Commands to write, preceded by the claim while it is still unwritten. */
    const withClaim = (commandsToWrite: TaskCommand[]): TaskCommand[] =>
      pendingClaim ? [pendingClaim, ...commandsToWrite] : commandsToWrite;

    const abort = (why: AbortCause) => controller.abort(new RunAborted(why));
    const timer = setTimeout(() => abort('timeout'), runtime.timeoutMs);
    let settled = false;
    const emit = async (...emissions: Emission[]): Promise<void> => {
      controller.signal.throwIfAborted();
      if (emissions.length === 0) return;
      const at = stamp();
      const batch = withClaim(emissions.map((emission) => toCommand(emission, at)));
      let result: Awaited<ReturnType<TaskCommands['handle']>>;
      try {
        result = await commands.handle(task.id, batch, context(task, cause));
      } catch (error) {
        // Another instance claimed the task first: it runs it, this run ends quietly.
        if (pendingClaim && error instanceof TaskConflictError) throw new RunAborted('superseded');
        throw error;
      }
      pendingClaim = undefined;
      settled = isSettled(result.task);
    };
    try {
      await runtime.executor.execute(
        { task: toTask(task), message, agent: task.agent, signal: controller.signal, resumed },
        emit,
      );
      if (!settled) {
        await tryCommand(
          task,
          withClaim([
            {
              type: 'Fail',
              message: agentNote('the agent ended without a final state'),
              at: stamp(),
            },
          ]),
          cause,
        );
      }
    } catch (error) {
      const why =
        error instanceof RunAborted
          ? error.why
          : controller.signal.aborted
            ? (controller.signal.reason as RunAborted).why
            : undefined;
      if (why === 'canceled' || why === 'shutdown' || why === 'superseded') return;
      if (error instanceof TaskTerminalError) return;
      const reason =
        why === 'timeout'
          ? `timed out after ${runtime.timeoutMs} ms`
          : `the agent failed: ${error instanceof Error ? error.message : String(error)}`;
      logger.warn('task run failed', { taskId, reason });
      await tryCommand(
        task,
        withClaim([{ type: 'Fail', message: agentNote(reason), at: stamp() }]),
        cause,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * What the durable follower cannot see again: runs this instance started before it
   * stopped. Tasks still waiting for a first run are launched too (a claim decides who runs).
   * Call once the task view has caught up with the store.
   */
  async function recover(): Promise<void> {
    for (const task of await view.unsettled()) {
      if (task.pendingRun) {
        launch(task.id, task.tenant, undefined, false);
        continue;
      }
      // Started before this process existed: ours if the run was ours, else another
      // instance's (still alive, or to be recovered by its own restart).
      if (task.runner !== options.instance) continue;
      const runtime = options.runtimeFor(task.agent);
      if (runtime?.onRestart === 'resume') {
        logger.info('resuming a task interrupted by a restart', { taskId: task.id });
        launch(task.id, task.tenant, undefined, true);
      } else {
        logger.info('failing a task interrupted by a restart', { taskId: task.id });
        const current = await commands.load(task.id, task.tenant);
        if (current && !isSettled(current)) {
          await tryCommand(current, {
            type: 'Fail',
            message: agentNote('interrupted: the gateway restarted while the task was running'),
            at: stamp(),
          });
        }
      }
    }
  }

  function stamp(): string {
    return now().toISOString();
  }

  async function onEvent(event: StoredEvent): Promise<void> {
    const taskId = event.streamId.slice('task-'.length);
    const tenant = event.metadata.tenant ?? '';
    if (event.type === 'task.submitted' || event.type === 'task.message_received') {
      commands.observe(event);
      launch(taskId, tenant, event, false);
    } else if (event.type === 'task.status_changed') {
      const state = (event.data as { status: { state: string } }).status.state;
      if (state === 'TASK_STATE_CANCELED')
        runs.get(taskId)?.controller.abort(new RunAborted('canceled'));
    }
  }

  return {
    async start() {
      // A durable follower: after a restart it replays triggers since its checkpoint, and
      // the StartExecution claim turns a repeat into a no-op.
      subscriber = await startDurableSubscriber(store, {
        name: `task-lifecycle:${options.instance}`,
        types: ['task.submitted', 'task.message_received', 'task.status_changed'],
        firstStart: 'end',
        checkpoint: { events: 100, ms: 500 },
        handle: onEvent,
        onError: (error) => {
          if (!stopping) logger.error('task lifecycle stopped following events', { error });
        },
      });
      await recover();
    },

    async stop() {
      stopping = true;
      const following = subscriber?.stop();
      for (const { controller } of runs.values()) controller.abort(new RunAborted('shutdown'));
      await Promise.allSettled([...runs.values()].map((r) => r.done));
      await following;
    },

    get running() {
      return runs.size;
    },
  };
}

function toCommand(emission: Emission, at: string): TaskCommand {
  switch (emission.kind) {
    case 'artifact':
      return {
        type: 'AppendArtifact',
        artifact: emission.artifact,
        append: emission.append ?? false,
        lastChunk: emission.lastChunk ?? false,
        at,
      };
    case 'message':
      return { type: 'Reply', message: emission.message, at };
    case 'status': {
      const withMessage = emission.message ? { message: emission.message } : {};
      switch (emission.state) {
        case 'TASK_STATE_WORKING':
          return { type: 'UpdateProgress', ...withMessage, at };
        case 'TASK_STATE_INPUT_REQUIRED':
          return { type: 'RequireInput', ...withMessage, at };
        case 'TASK_STATE_AUTH_REQUIRED':
          return { type: 'RequireAuth', ...withMessage, at };
        case 'TASK_STATE_COMPLETED':
          return { type: 'Complete', ...withMessage, at };
        case 'TASK_STATE_FAILED':
          return { type: 'Fail', ...withMessage, at };
        case 'TASK_STATE_REJECTED':
          return { type: 'Reject', ...withMessage, at };
        default: {
          const unknown: never = emission.state;
          throw new Error(`unknown state ${unknown}`);
        }
      }
    }
    default: {
      const unknown: never = emission;
      throw new Error(`unknown emission ${JSON.stringify(unknown)}`);
    }
  }
}

let noteCounter = 0;
function agentNote(text: string): Message {
  noteCounter += 1;
  return {
    messageId: `gateway-${Date.now().toString(36)}-${noteCounter}`,
    role: 'ROLE_AGENT',
    parts: [{ text }],
  };
}
