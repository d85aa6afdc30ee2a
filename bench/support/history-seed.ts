/**
 * Fills a gateway's store with completed echo tasks straight through the store API, no HTTP:
 * the "after N stored tasks" half of `npm run bench:a2a`'s history phase. Each task gets the
 * four events a plain echo run stores (submitted, execution started, artifact, COMPLETED),
 * shaped as the gateway writes them; many appends are handed to the store at once so its
 * group commit writes them in large statements.
 */
import { randomUUID } from 'node:crypto';
import { createGatewayRegistry } from '../../src/gateway-registry.js';
import {
  createPgliteEventStore,
  createPostgresEventStore,
  type EventStore,
} from '../../src/store/index.js';
import { eventIds, newTaskId, TASK_EVENT_TYPES, taskStreamId } from '../../src/tasks/index.js';

/** Where the gateway's events live: its PGlite folder, or its PostgreSQL schema. */
export type SeedTarget =
  | { kind: 'pglite'; dataDir: string; schema: string }
  | { kind: 'postgres'; databaseUrl: string; schema: string };

// Appends handed to the store together: the batcher groups them into statements of up to
// 65,535 events, so a round holds a few statements' worth.
const TASKS_PER_ROUND = 4_000;
const AGENT = 'echo';

function openStore(target: SeedTarget): Promise<EventStore> {
  const registry = createGatewayRegistry();
  return target.kind === 'pglite'
    ? createPgliteEventStore({ dataDir: target.dataDir, schema: target.schema, registry })
    : createPostgresEventStore({
        connectionString: target.databaseUrl,
        schema: target.schema,
        registry,
      });
}

/** The events of one completed echo task, as the gateway stores them. */
function echoTaskEvents(taskId: string, index: number, at: Date) {
  const contextId = randomUUID();
  const messageId = `seed-${index}`;
  const text = `seeded ${index}`;
  const timestamp = at.toISOString();
  const correlationId = randomUUID();
  const submittedId = eventIds.submitted(taskId);
  const bySaga = {
    timestamp,
    correlationId,
    causationId: submittedId,
    metadata: { source: 'saga:bench-seed' },
  };
  return [
    {
      id: submittedId,
      type: TASK_EVENT_TYPES.submitted,
      timestamp,
      correlationId,
      metadata: { source: 'a2a', principal: 'anonymous' },
      data: {
        taskId,
        contextId,
        agent: AGENT,
        message: { messageId, taskId, contextId, role: 'ROLE_USER', parts: [{ text }] },
      },
    },
    {
      ...bySaga,
      type: TASK_EVENT_TYPES.executionStarted,
      data: { attempt: 1, executor: 'builtin:echo', instance: 'bench-seed', resumed: false },
    },
    {
      ...bySaga,
      type: TASK_EVENT_TYPES.artifactAppended,
      data: {
        artifact: { artifactId: `echo-${messageId}`, parts: [{ text }] },
        append: false,
        lastChunk: true,
      },
    },
    {
      ...bySaga,
      type: TASK_EVENT_TYPES.statusChanged,
      data: { status: { state: 'TASK_STATE_COMPLETED', timestamp } },
    },
  ];
}

/**
 * Appends `count` completed tasks; returns a sample of their ids (for GetTask) and how long
 * it took. Timestamps run one millisecond apart, ending an hour ago, so ListTasks' newest page
 * is not made of them unless nothing newer exists.
 */
export async function seedHistory(
  target: SeedTarget,
  count: number,
  sampleSize: number,
  onProgress: (done: number) => void = () => {},
): Promise<{ sample: string[]; seconds: number }> {
  const started = performance.now();
  const store = await openStore(target);
  const sampleEvery = Math.max(1, Math.floor(count / Math.max(1, sampleSize)));
  const sample: string[] = [];
  const first = Date.now() - 3_600_000 - count;
  try {
    for (let done = 0; done < count; ) {
      const round = Math.min(TASKS_PER_ROUND, count - done);
      const appends: Promise<unknown>[] = [];
      for (let i = done; i < done + round; i++) {
        const taskId = newTaskId();
        if (i % sampleEvery === 0 && sample.length < sampleSize) sample.push(taskId);
        const events = echoTaskEvents(taskId, i, new Date(first + i));
        appends.push(store.append(taskStreamId(taskId), events, { expectedVersion: 'no_stream' }));
      }
      await Promise.all(appends);
      done += round;
      onProgress(done);
    }
  } finally {
    await store.close();
  }
  return { sample, seconds: (performance.now() - started) / 1_000 };
}

/** `--seed <json>`: the seeding as its own process, which prints one JSON line. */
export async function seedMain(spec: {
  target: SeedTarget;
  count: number;
  sampleSize: number;
}): Promise<{ sample: string[]; seconds: number }> {
  let reported = 0;
  return seedHistory(spec.target, spec.count, spec.sampleSize, (done) => {
    // A line every 20,000 tasks or so: enough to see it move.
    if (done - reported >= 20_000 || done === spec.count) {
      reported = done;
      process.stderr.write(`… seeded ${done} of ${spec.count} tasks\n`);
    }
  });
}
