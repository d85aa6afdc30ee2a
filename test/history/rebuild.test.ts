import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayRegistry } from '../../src/gateway-registry.js';
import {
  createPgliteClient,
  createPgliteEventStore,
  type EventStore,
  type SqlClient,
} from '../../src/store/index.js';
import {
  createSqlTaskView,
  RebuildAbortedError,
  rebuildTaskView,
  type TaskView,
  taskStreamId,
} from '../../src/tasks/index.js';
import {
  childEnv,
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { describeEachDatabase } from '../support/services.js';
import { readSse } from '../support/sse.js';
import { aMessage } from '../support/task-spec.js';

const run = promisify(execFile);

describe('task view rebuild: blue/green beside the live table', () => {
  const schema = 'rebuild';
  let folder: string;
  let db: PGlite;
  let store: EventStore;
  let client: SqlClient;
  let view: TaskView;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'rebuild-'));
    db = await PGlite.create(folder);
    store = await createPgliteEventStore({ pglite: db, schema, registry: createGatewayRegistry() });
    client = createPgliteClient(db, { owned: false });
    view = await createSqlTaskView(client, schema);
    for (let i = 0; i < 40; i++) {
      const taskId = `t-${i}`;
      await store.append(taskStreamId(taskId), [
        {
          type: 'task.submitted',
          data: {
            taskId,
            contextId: `c-${i % 3}`,
            agent: 'echo',
            message: aMessage({ taskId, contextId: `c-${i % 3}`, messageId: `m-${i}` }),
          },
          ...(i % 2 ? { metadata: { tenant: 'acme' } } : {}),
        },
        ...(i % 4 === 0
          ? [
              {
                type: 'task.status_changed',
                data: {
                  status: { state: 'TASK_STATE_COMPLETED', timestamp: new Date().toISOString() },
                },
              },
            ]
          : []),
      ]);
    }
    await view.applyBatch((await store.readAll({ limit: 1_000 })).events);
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
    await rm(folder, { recursive: true, force: true });
  });

  const snapshot = async () => ({
    acme: await view.list({ tenant: 'acme', pageSize: 100 }),
    plain: await view.list({ tenant: '', pageSize: 100 }),
    completed: await view.list({ tenant: '', state: 'TASK_STATE_COMPLETED', pageSize: 100 }),
    context: await view.list({ tenant: 'acme', contextId: 'c-1', pageSize: 100 }),
    counts: await client.query({
      text: `select * from ${schema}.task_counts where total > 0 order by 1, 2, 3`,
      values: [],
    }),
  });
  const tableExists = async (name: string) =>
    (
      await client.query({
        text: 'select 1 from pg_tables where schemaname = $1 and tablename = $2',
        values: [schema, name],
      })
    ).length > 0;

  it('an interrupted rebuild drops its partial table and leaves the live view as it was', async () => {
    const before = await snapshot();
    const abort = new AbortController();
    await expect(
      rebuildTaskView({
        store,
        client,
        schema,
        signal: abort.signal,
        progressEveryMs: 0,
        onProgress: () => abort.abort(),
      }),
    ).rejects.toBeInstanceOf(RebuildAbortedError);
    expect(await tableExists('task_view_rebuild')).toBe(false);
    expect(await snapshot()).toEqual(before);
  });

  it('swaps in a table rebuilt from zero: same lists, same counts, the same indexes and triggers', async () => {
    const before = await snapshot();
    expect(before.acme.totalSize).toBe(20);
    const indexes = async () =>
      (
        await client.query<{ indexname: string }>({
          text: `select indexname from pg_indexes where schemaname = $1 order by 1`,
          values: [schema],
        })
      ).map((row) => row.indexname);
    const indexesBefore = await indexes();
    const progress: number[] = [];
    const result = await rebuildTaskView({
      store,
      client,
      schema,
      progressEveryMs: 0,
      onProgress: (p) => progress.push(p.events),
    });
    expect(result).toMatchObject({ phase: 'done', events: 50, tasks: 40 });
    expect(result.position).toBe(await store.headPosition());
    expect(progress.length).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(before);
    expect(await indexes()).toEqual(indexesBefore);
    expect(await tableExists('task_view_rebuild')).toBe(false);

    // The count triggers follow the swapped table: a new task and a state change count.
    await store.append(taskStreamId('late'), [
      {
        type: 'task.submitted',
        data: {
          taskId: 'late',
          contextId: 'c-9',
          agent: 'echo',
          message: aMessage({ taskId: 'late', contextId: 'c-9' }),
        },
      },
    ]);
    await view.applyBatch(await store.readStream(taskStreamId('late')));
    expect((await view.list({ tenant: '', pageSize: 1 })).totalSize).toBe(21);
  });
});

describeEachDatabase('task view rebuild over HTTP on $name, while requests run', ({ database }) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ database });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  const call = (tenant: string, method: string, params: unknown) =>
    rpc(`${gateway.url}${tenant ? `/${tenant}` : ''}/agents/echo`, {
      jsonrpc: '2.0',
      id: 1,
      method,
      params,
    });
  const list = async (tenant: string, params: Record<string, unknown> = {}) => {
    const answer = await call(tenant, 'ListTasks', { pageSize: 100, ...params });
    expect(answer.body.error).toBeUndefined();
    return answer.body.result as JsonBody;
  };

  it('answers ListTasks the same before and after, and counts every task', async () => {
    for (let i = 0; i < 12; i++) {
      await call(i % 2 ? 'acme' : '', 'SendMessage', {
        message: userMessage(i % 3 === 0 ? '/input' : `task ${i}`),
      });
    }
    const lists = async () => ({
      acme: await list('acme'),
      plain: await list(''),
      waiting: await list('', { status: 'TASK_STATE_INPUT_REQUIRED' }),
    });
    const before = await lists();
    expect(before.acme.totalSize + before.plain.totalSize).toBe(12);

    // Requests keep coming while the view is rebuilt: writes and reads of another tenant.
    let rebuilding = true;
    let busyTasks = 0;
    const failures: unknown[] = [];
    const traffic = (async () => {
      while (rebuilding) {
        const sent = await call('busy', 'SendMessage', { message: userMessage('meanwhile') });
        if (sent.body.error) failures.push(sent.body.error);
        else busyTasks += 1;
        const listed = await call('busy', 'ListTasks', { pageSize: 5 });
        if (listed.status !== 200 || listed.body.error) failures.push(listed.body);
      }
    })();
    const read = await readSse(
      `${gateway.url}/admin/projections/task-view/rebuild`,
      { method: 'POST' },
      { timeoutMs: 60_000 },
    ).finally(() => {
      rebuilding = false;
    });
    await traffic;
    expect(failures).toEqual([]);
    expect(read.status).toBe(200);
    const done = read.data.at(-1);
    expect(done.type).toBe('done');
    expect(read.data.slice(0, -1).every((d: JsonBody) => d.type === 'progress')).toBe(true);
    expect(done.tasks).toBeGreaterThanOrEqual(12);
    expect(done.events).toBeGreaterThanOrEqual(12 * 3);
    expect(typeof done.rate).toBe('number');

    expect(await lists()).toEqual(before);
    const busy = await list('busy');
    expect(busy.totalSize).toBe(busyTasks);
    expect(busy.tasks).toHaveLength(busyTasks);
  });

  it('answers one JSON result to a caller that does not ask for an event stream', async () => {
    const tasks = (await list('')).totalSize + (await list('acme')).totalSize;
    const answer = await fetch(`${gateway.url}/admin/projections/task-view/rebuild`, {
      method: 'POST',
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as JsonBody;
    expect(body.type).toBe('done');
    expect(body.tasks).toBeGreaterThanOrEqual(tasks);
    expect(body.position).toBeGreaterThan(0);
  });

  it('is what gateway replay runs, printing the outcome', async () => {
    const tasks = (await list('')).totalSize + (await list('acme')).totalSize;
    const { stdout } = await run(
      'node',
      ['--import', 'tsx', 'src/cli/main.ts', 'replay', '--url', gateway.url],
      { env: childEnv({ LOG_LEVEL: 'silent' }) },
    );
    const [, rebuilt] = /task view rebuilt: (\d+) tasks from \d+ events/.exec(stdout) ?? [];
    expect(Number(rebuilt)).toBeGreaterThanOrEqual(tasks);
    expect(await list('acme')).toMatchObject({ totalSize: (await list('acme')).tasks.length });
  });
});
