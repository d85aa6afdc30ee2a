/**
 * The durable floor for `npm run bench:a2a`: the least a server must do to answer the echo
 * agent's SendMessage and SendStreamingMessage with every event stored before it is reported.
 * Plain node:http, one JSON.parse, the four events of an echo task (submitted, working,
 * artifact, completed) as rows of one table keyed like the gateway's (`position`, unique
 * event id, unique stream and version), group-committed: appends that queue while a statement
 * is in flight go together in the next one. No validation, no projection, no history, no
 * auth, no saga, no live feed: nothing a gateway may not skip is left out, and much that it
 * may not is. Whatever this scores against the in-memory reference is the ceiling of any
 * durable gateway on the same machine and store.
 *
 *   PORT=8080 DATABASE_URL=postgres://… DATABASE_SCHEMA=floor node durable-floor-server.js
 *   PORT=8080 DATA_DIR=/tmp/floor node durable-floor-server.js       (embedded PGlite)
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 8080);
const url = `http://${host}:${port}/`;
const schema = process.env.DATABASE_SCHEMA || 'durable_floor';

interface Sql {
  query(text: string, values?: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

async function openSql(): Promise<Sql> {
  if (process.env.DATABASE_URL) {
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
    return { query: (text, values) => pool.query(text, values), close: () => pool.end() };
  }
  const db = new PGlite(process.env.DATA_DIR || './floor-data');
  await db.waitReady;
  return { query: (text, values) => db.query(text, values), close: () => db.close() };
}

const sql = await openSql();
await sql.query(`create schema if not exists ${schema}`);
await sql.query(`create table if not exists ${schema}.events (
  position bigserial primary key,
  event_id uuid not null unique,
  stream_id text not null,
  version integer not null,
  type text not null,
  occurred_at timestamptz not null default now(),
  data jsonb not null,
  unique (stream_id, version)
)`);

const INSERT = `insert into ${schema}.events (event_id, stream_id, version, type, data)
  select * from unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::jsonb[])`;

interface Append {
  rows: [string, string, number, string, string][];
  done: (error?: Error) => void;
}
const queue: Append[] = [];
let writing = false;

/**
 * Group commit: one statement (one transaction) for every append that queued meanwhile. One
 * statement at a time: PGlite runs no more, and on PostgreSQL it measured best (SendMessage
 * 2950/s; 2689 with 3 in flight, 1722 with 8): the groups grow, and commits are what a
 * request waits for.
 */
function pump(): void {
  if (writing || queue.length === 0) return;
  const group = queue.splice(0);
  const columns: unknown[][] = [[], [], [], [], []];
  for (const append of group)
    for (const row of append.rows) for (let i = 0; i < row.length; i++) columns[i]!.push(row[i]);
  writing = true;
  sql.query(INSERT, columns).then(
    () => settle(group),
    (error: Error) => settle(group, error),
  );
}

function settle(group: Append[], error?: Error): void {
  writing = false;
  for (const append of group) append.done(error);
  pump();
}

function append(rows: Append['rows']): Promise<void> {
  return new Promise((resolve, reject) => {
    queue.push({ rows, done: (error) => (error ? reject(error) : resolve()) });
    pump();
  });
}

type Part = { text?: string };
type Message = { messageId?: string; contextId?: string; parts?: Part[] };

/** The echo task's four events, and the updates a stream reports for them. */
function echoTask(message: Message) {
  const id = randomUUID();
  const contextId = message.contextId || randomUUID();
  const text = message.parts?.map((part) => part.text ?? '').join('') ?? '';
  const artifact = { artifactId: randomUUID(), parts: [{ text }] };
  const at = () => new Date().toISOString();
  const status = (state: string) => ({ state, timestamp: at() });
  const submitted = { id, contextId, status: status('TASK_STATE_SUBMITTED'), history: [message] };
  const working = { taskId: id, contextId, status: status('TASK_STATE_WORKING') };
  const artifactUpdate = { taskId: id, contextId, artifact };
  const completed = { taskId: id, contextId, status: status('TASK_STATE_COMPLETED') };
  const events: [string, unknown][] = [
    ['task.submitted', submitted],
    ['task.working', working],
    ['task.artifact', artifactUpdate],
    ['task.completed', completed],
  ];
  const rows = events.map(
    ([type, data], version) =>
      [randomUUID(), `task-${id}`, version + 1, type, JSON.stringify(data)] as Append['rows'][0],
  );
  const task = {
    id,
    contextId,
    status: completed.status,
    artifacts: [artifact],
    history: [message],
  };
  const updates = [
    { task: submitted },
    { statusUpdate: working },
    { artifactUpdate },
    { statusUpdate: completed },
  ];
  return { task, rows, updates };
}

/** Tasks this process stored, for GetTask; bounded, oldest first out. */
const tasks = new Map<string, unknown>();
function remember(id: string, task: unknown): void {
  tasks.set(id, task);
  if (tasks.size > 100_000) tasks.delete(tasks.keys().next().value!);
}

const card = {
  name: 'Durable floor',
  description: 'Echo, every event stored first: the bench:a2a floor.',
  supportedInterfaces: [{ url, protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
  version: '1.0.0',
  capabilities: { streaming: true },
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [],
};

function json(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/.well-known/agent-card.json') return json(res, card);
  if (req.method === 'GET' && req.url === '/healthz') return json(res, { status: 'ok' });
  if (req.method !== 'POST') return json(res, { error: 'not found' }, 404);
  const call = JSON.parse(await readBody(req)) as {
    id: unknown;
    method: string;
    params: { message?: Message; id?: string };
  };
  const answer = (result: unknown) => ({ jsonrpc: '2.0', id: call.id, result });
  if (call.method === 'GetTask') {
    const task = tasks.get(call.params.id ?? '');
    if (task) return json(res, answer(task));
    return json(res, {
      jsonrpc: '2.0',
      id: call.id,
      error: { code: -32001, message: 'not found' },
    });
  }
  if (call.method !== 'SendMessage' && call.method !== 'SendStreamingMessage') {
    return json(res, { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: 'no' } });
  }
  const { task, rows, updates } = echoTask(call.params.message ?? {});
  await append(rows);
  remember(task.id, task);
  if (call.method === 'SendMessage') return json(res, answer({ task }));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const update of updates) res.write(`data: ${JSON.stringify(answer(update))}\n\n`);
  res.end();
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: Error) => {
    if (!res.headersSent) json(res, { error: error.message }, 500);
    else res.destroy(error);
  });
});
server.listen(port, host);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void sql.close().finally(() => process.exit(0));
  });
}
