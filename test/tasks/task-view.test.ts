import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/index.js';
import { createPgClient, createPgliteClient, type SqlClient } from '../../src/store/index.js';
import { createSqlTaskView, type TaskEvent, type TaskView } from '../../src/tasks/index.js';
import { DATABASE_URL, describeEachDatabase, uniqueSchema } from '../support/services.js';
import { aMessage } from '../support/task-spec.js';

let position = 0;
/** A stored task event, as the projector receives it. */
function stored(
  taskId: string,
  version: number,
  event: TaskEvent,
  at: string,
  tenant = '',
): StoredEvent {
  position += 1;
  return {
    id: `${taskId}-${version}`,
    type: event.type,
    schemaVersion: 1,
    streamId: `task-${taskId}`,
    streamVersion: version,
    globalPosition: position,
    timestamp: at,
    correlationId: 'c',
    causationId: null,
    metadata: tenant ? { tenant } : {},
    data: event.data,
  };
}

const submitted = (taskId: string, contextId: string): TaskEvent => ({
  type: 'task.submitted',
  data: { taskId, contextId, agent: 'echo', message: aMessage({ taskId, contextId }) },
});
const status = (state: 'TASK_STATE_WORKING' | 'TASK_STATE_COMPLETED', at: string): TaskEvent => ({
  type: 'task.status_changed',
  data: { status: { state, timestamp: at } },
});

describeEachDatabase('task view projection on $name', ({ database }) => {
  let client: SqlClient;
  let close: () => Promise<void>;
  let view: TaskView;
  const schema = uniqueSchema('view');

  beforeAll(async () => {
    if (database === 'pglite') {
      const folder = await mkdtemp(join(tmpdir(), 'view-'));
      const db = await PGlite.create(folder);
      client = createPgliteClient(db, { owned: true });
      close = async () => {
        await client.close();
        await rm(folder, { recursive: true, force: true });
      };
    } else {
      client = createPgClient({ connectionString: DATABASE_URL!, max: 2 });
      close = async () => {
        await client.query({ text: `drop schema if exists ${schema} cascade`, values: [] });
        await client.close();
      };
    }
    view = await createSqlTaskView(client, schema);
  });
  afterAll(async () => {
    await close?.();
  });

  it('folds a batch of events into one row per task, and ignores repeats', async () => {
    const events = [
      stored('a', 1, submitted('a', 'ctx'), '2026-01-01T00:00:00.000Z'),
      stored('b', 1, submitted('b', 'ctx'), '2026-01-01T00:00:01.000Z'),
      stored(
        'a',
        2,
        status('TASK_STATE_WORKING', '2026-01-01T00:00:02.000Z'),
        '2026-01-01T00:00:02.000Z',
      ),
      stored(
        'a',
        3,
        status('TASK_STATE_COMPLETED', '2026-01-01T00:00:03.000Z'),
        '2026-01-01T00:00:03.000Z',
      ),
    ];
    await view.applyBatch(events);
    await view.applyBatch(events.slice(1)); // delivered again after a crash: no change
    expect((await view.get('a', ''))?.status.state).toBe('TASK_STATE_COMPLETED');
    expect((await view.get('a', ''))?.version).toBe(3);
    expect((await view.get('b', ''))?.status.state).toBe('TASK_STATE_SUBMITTED');
    expect(await view.get('a', 'other-tenant')).toBeUndefined();
    expect((await view.unsettled()).map((task) => task.id)).toContain('b');
    expect((await view.unsettled()).map((task) => task.id)).not.toContain('a');
  });

  it('lists newest first, filtered by context, state and status time, page by page (§3.1.4)', async () => {
    const at = (second: number) => `2026-02-01T00:00:${String(second).padStart(2, '0')}.000Z`;
    const batch: StoredEvent[] = [];
    for (let i = 0; i < 7; i++) {
      const id = `list-${i}`;
      batch.push(stored(id, 1, submitted(id, i < 5 ? 'ctx-list' : 'ctx-other'), at(i), 'acme'));
      if (i % 2 === 0)
        batch.push(stored(id, 2, status('TASK_STATE_COMPLETED', at(i + 20)), at(i + 20), 'acme'));
    }
    await view.applyBatch(batch);
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await view.list({
        tenant: 'acme',
        contextId: 'ctx-list',
        pageSize: 2,
        ...(pageToken ? { pageToken } : {}),
      });
      expect(page.totalSize).toBe(5);
      ids.push(...page.tasks.map((task) => task.id));
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
    expect(ids).toEqual(['list-4', 'list-2', 'list-0', 'list-3', 'list-1']);
    const completed = await view.list({
      tenant: 'acme',
      state: 'TASK_STATE_COMPLETED',
      pageSize: 10,
    });
    expect(completed.tasks.map((task) => task.id)).toEqual([
      'list-6',
      'list-4',
      'list-2',
      'list-0',
    ]);
    const recent = await view.list({
      tenant: 'acme',
      statusTimestampAfter: at(24),
      pageSize: 10,
    });
    expect(recent.tasks.map((task) => task.id)).toEqual(['list-6', 'list-4']);
    expect((await view.list({ tenant: 'nobody', pageSize: 10 })).nextPageToken).toBe('');
    await expect(
      view.list({ tenant: 'acme', pageSize: 2, pageToken: 'not-ours' }),
    ).rejects.toMatchObject({
      field: 'pageToken',
    });
  });
});
