import { z } from 'zod';
import {
  type Bus,
  type Consumer,
  type OutgoingMessage,
  PermanentFailure,
  type RetryPolicy,
} from '../bus/index.js';
import type { StoredEvent } from '../events/index.js';
import type { Logger } from '../observability/index.js';
import { isSettled, type TaskAggregate, type TaskCommands } from '../tasks/index.js';
import { causeOf, type RunCause } from './task-run.js';

/** A message waiting for a run: any instance consuming this topic may run it. */
export const RUN_TOPIC = 'task.run';
/** Every instance is a member of one group: each job goes to one of them. */
export const RUN_GROUP = 'task-runs';

const RunJobSchema = z.object({
  taskId: z.string().min(1),
  tenant: z.string(),
  /** The stream version of the event that asked for the run. */
  version: z.int().positive(),
  cause: z.object({
    eventId: z.string().min(1),
    correlationId: z.string().min(1),
    principal: z.string().min(1).optional(),
    traceparent: z.string().max(256).optional(),
  }),
});

export type RunJob = z.infer<typeof RunJobSchema>;

/**
 * One task's jobs are handled one at a time (key), and the job of one stored event is queued
 * once however often it is published (idempotency key).
 */
export function runJobMessage(job: RunJob): OutgoingMessage<RunJob> {
  return {
    topic: RUN_TOPIC,
    payload: job,
    key: job.taskId,
    idempotencyKey: `${job.taskId}:${job.version}`,
  };
}

export function parseRunJob(payload: unknown): RunJob {
  const parsed = RunJobSchema.safeParse(payload);
  if (!parsed.success) {
    throw new PermanentFailure(`not a run job: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/**
 * A job fails when its instance stops before the run is claimed, or the store cannot be
 * read: soon again (on another instance), never longer apart than a lease, since the lease
 * scan would have found the task by then anyway.
 */
export function runJobRetry(leaseMs: number): RetryPolicy {
  return { kind: 'exponential', baseMs: 100, maxMs: leaseMs, maxAttempts: 10 };
}

/** Thrown by a job's handler on a stopping instance: the job goes to another one. */
export class RunHandedBack extends Error {
  override readonly name = 'RunHandedBack';
  constructor(instance: string) {
    super(`instance ${instance} stopped before the run was claimed`);
  }
}

/**
 * Run jobs an instance handles at once. A job is held only until its run is claimed, so this
 * bounds runs starting together, not runs in progress.
 */
const JOBS_AT_ONCE = 16;

export interface RunJobsDeps {
  bus: Pick<Bus, 'publish' | 'subscribe'>;
  commands: TaskCommands;
  instance: string;
  logger: Logger;
  /** Starts a run here; resolves true once its claim is stored, false if it ended unclaimed. */
  launch(task: TaskAggregate, cause: RunCause): Promise<boolean> | undefined;
  /** Resolves when the task's run in this process ends; undefined when none runs. */
  running(taskId: string): Promise<void> | undefined;
  stopping(): boolean;
}

export interface RunJobs {
  /** Queues a run for a message stored here (a submission or a follow-up). */
  request(task: TaskAggregate, event: StoredEvent): void;
  /** Takes jobs from every instance; one held longer than `leaseMs` goes to another. */
  start(leaseMs: number): Promise<void>;
  /** Takes no more jobs; resolves once those in hand are done or handed back. */
  stop(): Promise<void>;
}

const waitsForRun = (task: TaskAggregate) => task.pendingRun && !isSettled(task);

/** Task runs as jobs on the bus: queued by the instance that stored the message, run by any. */
export function createRunJobs(deps: RunJobsDeps): RunJobs {
  const { bus, commands, instance, logger } = deps;
  let consumer: Consumer | undefined;

  /**
   * A queued run: started here when the task still waits for one. Done (acknowledged) once
   * the run's claim is stored or no run is needed; an instance that dies before then leaves
   * the job to another (its visibility timeout), one that dies after leaves the run to the
   * lease scan. A throw hands the job back: to another instance when this one stops.
   */
  async function run(job: RunJob): Promise<void> {
    for (let look = 0; look < 8; look++) {
      if (deps.stopping()) throw new RunHandedBack(instance);
      let task = await commands.peek(job.taskId, job.tenant);
      // A copy older than the job's event: another instance stored that event.
      if (task && task.version < job.version) task = await commands.get(job.taskId, job.tenant);
      if (!task || !waitsForRun(task)) return;
      const running = deps.running(task.id);
      if (running) {
        // Its previous run is still ending here: look again after it.
        await running;
        continue;
      }
      const claimed = deps.launch(task, job.cause);
      if (!claimed) throw new RunHandedBack(instance);
      if (await claimed) return;
      // Ended unclaimed: fine when another instance claimed it or it needs no run any more.
      const after = await commands.get(job.taskId, job.tenant);
      if (!after || !waitsForRun(after) || after.attempts > task.attempts) return;
      if (deps.stopping()) throw new RunHandedBack(instance);
      throw new Error(`the run of task ${task.id} ended before it was claimed`);
    }
    throw new Error(`task ${job.taskId} kept running here`);
  }

  return {
    request(task, event) {
      const job: RunJob = {
        taskId: task.id,
        tenant: task.tenant,
        version: event.streamVersion,
        cause: causeOf(event),
      };
      bus.publish(runJobMessage(job)).catch((error: unknown) => {
        // Not queued: run it here rather than leave it to the lease scan.
        logger.warn('could not queue a run: running it here', {
          taskId: task.id,
          tenant: task.tenant,
          error,
        });
        return run(job).catch((failure: unknown) =>
          logger.warn('a run that could not be queued did not start', {
            taskId: task.id,
            tenant: task.tenant,
            error: failure,
          }),
        );
      });
    },

    async start(leaseMs) {
      consumer = await bus.subscribe(RUN_TOPIC, (message) => run(parseRunJob(message.payload)), {
        group: RUN_GROUP,
        concurrency: JOBS_AT_ONCE,
        // Held until its run's claim is stored: with the first report, for agents that claim
        // so. One held longer goes to another instance, whose run then races this one's
        // (harmless for those agents: they have no side effects); the claim picks one.
        visibilityTimeoutMs: leaseMs,
        retry: runJobRetry(leaseMs),
      });
    },

    async stop() {
      await consumer?.drain().catch((error: unknown) => {
        logger.warn('could not stop taking run jobs', { error });
      });
    },
  };
}
