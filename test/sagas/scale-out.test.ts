import { TaskState } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/index.js';
import { createGatewayRegistry } from '../../src/gateway-registry.js';
import { createPostgresEventStore, type EventStore } from '../../src/store/index.js';
import { taskStreamId } from '../../src/tasks/index.js';
import { eventually } from '../support/collect.js';
import { dropSchema, FIXTURE_AGENTS } from '../support/gateway.js';
import {
  freePort,
  type RunningProcess,
  runGateway,
  stopProcess,
  waitHealthy,
} from '../support/process.js';
import { asTask, jsonRpcSdkClient, sdkMessage, sdkSend } from '../support/sdk.js';
import { DATABASE_URL, suiteTitle, uniqueSchema } from '../support/services.js';

const title = suiteTitle('three gateway processes share task runs through the bus', 'DATABASE_URL');

const TASKS = 60;
const TERMINAL = new Set([
  'TASK_STATE_COMPLETED',
  'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED',
  'TASK_STATE_REJECTED',
]);

interface Instance {
  name: string;
  url: string;
  process: RunningProcess;
  client: Client;
}

interface Status {
  state: string;
  at: number;
}

type StatusData = { status: { state: string; timestamp?: string } };

const statusOf = (data: StatusData['status']): Status => ({
  state: data.state,
  at: Date.parse(data.timestamp ?? ''),
});

/** What one SubscribeToTask client saw: the task it started with, then each status update. */
interface Followed {
  taskId: string;
  first?: Status;
  updates: Status[];
  /** The task had ended before the client subscribed: the gateway refused, as it must. */
  refused?: unknown;
}

async function follow(client: Client, taskId: string): Promise<Followed> {
  const seen: Followed = { taskId, updates: [] };
  const sdkStatus = (status: { state: TaskState; timestamp: string | undefined }) =>
    statusOf({ state: TaskState[status.state], timestamp: status.timestamp });
  try {
    for await (const item of client.resubscribeTask({ id: taskId, tenant: '' })) {
      const payload = item.payload;
      if (payload?.$case === 'task' && payload.value.status) {
        seen.first = sdkStatus(payload.value.status);
      } else if (payload?.$case === 'statusUpdate' && payload.value.status) {
        seen.updates.push(sdkStatus(payload.value.status));
      }
    }
  } catch (error) {
    seen.refused = error;
  }
  return seen;
}

/** Claims by instance and terminal states, from one store-wide subscription, as they commit. */
function watchRuns(store: EventStore) {
  const claims = new Map<string, string[]>();
  const ended = new Set<string>();
  const subscription = store.subscribe({
    from: 'start',
    types: ['task.execution_started', 'task.status_changed'],
  });
  const reading = (async () => {
    for await (const event of subscription) {
      if (event.type === 'task.execution_started') {
        const instance = (event.data as { instance: string }).instance;
        claims.set(event.streamId, [...(claims.get(event.streamId) ?? []), instance]);
      } else if (TERMINAL.has((event.data as StatusData).status.state)) {
        ended.add(event.streamId);
      }
    }
  })();
  return {
    /** Tasks `instance` has claimed and that have not ended. */
    runningOn: (instance: string) =>
      [...claims].filter(([stream, by]) => by.at(-1) === instance && !ended.has(stream)).length,
    async close() {
      subscription.close();
      await reading;
    },
  };
}

describe.skipIf(!DATABASE_URL)(title, () => {
  const schema = uniqueSchema('scale');
  const instances: Instance[] = [];
  let store: EventStore | undefined;

  async function start(name: string): Promise<Instance> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const running = runGateway({
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: DATABASE_URL!,
      DATABASE_SCHEMA: schema,
      INSTANCE_ID: name,
      RUN_LEASE_MS: '2000',
      BUS: 'database',
      AGENT_CARDS_DIR: FIXTURE_AGENTS,
      SHUTDOWN_TIMEOUT_MS: '2000',
    });
    const instance = { name, url, process: running } as Instance;
    instances.push(instance);
    await waitHealthy(running, url, 120_000);
    instance.client = await jsonRpcSdkClient(url);
    return instance;
  }

  beforeAll(async () => {
    // The first creates the schema; the others join it.
    await start('a');
    await Promise.all([start('b'), start('c')]);
    store = await createPostgresEventStore({
      connectionString: DATABASE_URL!,
      schema,
      max: 2,
      registry: createGatewayRegistry(),
    });
  }, 300_000);

  afterAll(async () => {
    await store?.close();
    // Each process by its own PID; survivors stop gracefully.
    for (const { process: running } of instances) await stopProcess(running, 'SIGTERM');
    await dropSchema(DATABASE_URL!, schema);
  }, 120_000);

  it('every task ends exactly once when an instance is killed mid-run; survivors stream each update', async () => {
    const named = (name: string) => instances.find((instance) => instance.name === name)!;
    const [a, b, c] = [named('a'), named('b'), named('c')];
    const runs = watchRuns(store!);
    try {
      // Sent round robin with returnImmediately: each is queued as a job any instance may take.
      // Each client on the survivor `a` subscribes as soon as its task exists.
      const sent = await Promise.all(
        Array.from({ length: TASKS }, async (_, i) => {
          const to = [a, b, c][i % 3]!;
          const text = `/sleep ${1_500 + (i % 6) * 100}`;
          const task = asTask(
            await to.client.sendMessage(sdkSend(sdkMessage(text), { returnImmediately: true })),
          );
          return { id: task.id, followed: follow(a.client, task.id) };
        }),
      );

      // Killed while it runs tasks: their runs are neither finished nor handed over.
      await eventually(() => runs.runningOn('c') >= 2, 60_000);
      await stopProcess(c.process, 'SIGKILL');

      const ids = sent.map((task) => task.id);
      const streams = async () =>
        Promise.all(ids.map(async (id) => store!.readStream(taskStreamId(id))));
      const ends = (events: StoredEvent[]) =>
        events.filter(
          (event) =>
            event.type === 'task.status_changed' &&
            TERMINAL.has((event.data as StatusData).status.state),
        );
      // None is lost: the lease takeover (2 s) and the jobs' redelivery bring each to its end.
      await eventually(
        async () => (await streams()).every((events) => ends(events).length > 0),
        90_000,
      );
      const stored = await streams();

      for (const events of stored) {
        // Exactly one end per task, and it completed: the echo agent's sleep finishes.
        expect(ends(events).map((event) => (event.data as StatusData).status.state)).toEqual([
          'TASK_STATE_COMPLETED',
        ]);
      }
      const claims = stored.map((events) =>
        events
          .filter((event) => event.type === 'task.execution_started')
          .map((event) => event.data as { instance: string; resumed: boolean }),
      );
      // The work was spread: more than one instance ran first attempts.
      const firstRunners = new Set(claims.map((task) => task[0]!.instance));
      expect(firstRunners.size).toBeGreaterThan(1);
      // The victim died mid-run: some of its runs were resumed by a survivor.
      const takenOver = claims.filter(
        (task) =>
          task.some((claim) => claim.instance === 'c') &&
          task.at(-1)!.resumed &&
          task.at(-1)!.instance !== 'c',
      );
      expect(takenOver.length).toBeGreaterThan(0);

      // Every client on the survivor saw each status update after the task it started with,
      // through to the terminal one, whichever instance ran the task.
      const followed = await Promise.all(sent.map((task) => task.followed));
      let watchedElsewhere = 0;
      let watchedTakeovers = 0;
      for (const [index, seen] of followed.entries()) {
        if (seen.refused) {
          // Only a task that had already ended may refuse a subscription.
          expect(String(seen.refused)).toMatch(/is TASK_STATE_COMPLETED: nothing left to follow/);
          continue;
        }
        const statuses = stored[index]!.filter((event) => event.type === 'task.status_changed').map(
          (event) => statusOf((event.data as StatusData).status),
        );
        const from = statuses.findIndex(
          (status) => status.state === seen.first?.state && status.at === seen.first.at,
        );
        expect(seen.first).toBeDefined();
        expect(seen.updates).toEqual(statuses.slice(from + 1));
        expect(seen.updates.at(-1)?.state).toBe('TASK_STATE_COMPLETED');
        const runners = claims[index]!.map((claim) => claim.instance);
        if (runners.some((runner) => runner !== 'a')) watchedElsewhere += 1;
        if (takenOver.includes(claims[index]!)) watchedTakeovers += 1;
      }
      expect(watchedElsewhere).toBeGreaterThan(0);
      expect(watchedTakeovers).toBeGreaterThan(0);
      // The survivors still answer.
      expect((await fetch(`${b.url}/healthz`)).ok).toBe(true);
    } finally {
      await runs.close();
    }
  }, 240_000);
});
