/**
 * The checked A2A calls of `npm run bench:a2a`, over node:http (or fetch): each throws unless
 * the server answered exactly what the echo agent must answer, so a fast wrong answer never
 * counts as throughput.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { createParser } from 'eventsource-parser';

// One answer slower than this is an error, not a hang.
export const REQUEST_TIMEOUT_MS = 10_000;

type Part = { text?: string };
type TaskJson = {
  id?: string;
  status?: { state?: string };
  artifacts?: { parts?: Part[] }[];
};
interface RpcReply {
  error?: unknown;
  result?: {
    task?: TaskJson;
    statusUpdate?: { status?: { state?: string } };
    artifactUpdate?: { artifact?: { parts?: Part[] } };
    tasks?: TaskJson[];
    totalSize?: number;
  } & TaskJson;
}

/** What the checks need of an HTTP answer, whichever client fetched it. */
interface Answer {
  status: number;
  type: string;
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

// Sent with every request besides the protocol's own: the load spec's `headers` (auth).
let extraHeaders: Record<string, string> = {};

/** Headers every later call sends too, e.g. `Authorization: Bearer …`; replaces earlier ones. */
export function sendWithEveryRequest(headers: Record<string, string>): void {
  extraHeaders = { ...headers };
}

const headers = (accept: string) => ({
  ...extraHeaders,
  'A2A-Version': '1.0',
  'Content-Type': 'application/json',
  Accept: accept,
});

/**
 * A keep-alive pool with a socket per request in flight, as undici's default Agent does for
 * fetch. Each phase sizes its own (16 in flight, 256 for the slow agent, N idle streams).
 */
export function socketPool(size: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: size });
}

async function viaFetch(url: string, body: string, accept: string): Promise<Answer> {
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const response = await fetch(url, { method: 'POST', headers: headers(accept), body, signal });
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, chunks: response.body ?? [] };
}

function viaHttp(
  url: string,
  body: string,
  accept: string,
  agent: Agent,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const length = Buffer.byteLength(body);
    const options = { method: 'POST', agent, timeout: timeoutMs };
    const outgoing = httpRequest(
      url,
      { ...options, headers: { ...headers(accept), 'Content-Length': length } },
      (incoming) => {
        const type = incoming.headers['content-type'] ?? '';
        resolve({ status: incoming.statusCode ?? 0, type, chunks: incoming });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer in time')));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * node:http unless BENCH_CLIENT=fetch. Per request, fetch (undici) costs the client about twice
 * the CPU the SDK server spends: pinned to core 1 it tops out near 2,000 SendMessage/s at 100%
 * CPU while the reference on core 0 sits at 60%. node:http drives the same server harder at half
 * its core. A client that saturates first measures itself.
 */
function post(url: string, body: string, accept: string, agent: Agent): Promise<Answer> {
  return process.env.BENCH_CLIENT === 'fetch'
    ? viaFetch(url, body, accept)
    : viaHttp(url, body, accept, agent);
}

async function readText(chunks: Answer['chunks']): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

function parseReply(body: string): RpcReply | undefined {
  try {
    return JSON.parse(body) as RpcReply;
  } catch {
    return undefined;
  }
}

let sent = 0;
function rpc(method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id: ++sent, method, params });
}

function userMessage(text: string) {
  return { message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text }] } };
}

async function call(url: string, agent: Agent, method: string, params: unknown) {
  const answer = await post(url, rpc(method, params), 'application/json', agent);
  const body = await readText(answer.chunks);
  return {
    reply: parseReply(body)?.result,
    problem: `HTTP ${answer.status}: ${body.slice(0, 300)}`,
  };
}

/**
 * Blocking SendMessage of `text` (a plain echo, or `/delay MS ECHOED`); throws unless the task
 * completed with `echoed` as its artifact. Returns the task id.
 */
export async function sendMessage(
  url: string,
  agent: Agent,
  text = `echo ${process.pid}-${sent + 1}`,
  echoed = text,
): Promise<string> {
  const { reply, problem } = await call(url, agent, 'SendMessage', userMessage(text));
  const task = reply?.task;
  const completed = task?.status?.state === 'TASK_STATE_COMPLETED';
  if (!completed || !task?.id || task.artifacts?.[0]?.parts?.[0]?.text !== echoed) {
    throw new Error(problem);
  }
  return task.id;
}

/** Blocking SendMessage `/input`: returns the id of a task left waiting in input-required. */
export async function inputRequiredTask(url: string, agent: Agent): Promise<string> {
  const { reply, problem } = await call(url, agent, 'SendMessage', userMessage('/input'));
  const task = reply?.task;
  if (task?.status?.state !== 'TASK_STATE_INPUT_REQUIRED' || !task.id) throw new Error(problem);
  return task.id;
}

/** GetTask; throws unless the task came back with its id, completed. */
export async function getTask(url: string, agent: Agent, id: string): Promise<void> {
  const { reply, problem } = await call(url, agent, 'GetTask', { id });
  if (reply?.id !== id || reply.status?.state !== 'TASK_STATE_COMPLETED') throw new Error(problem);
}

/** ListTasks, one page; throws unless it holds `pageSize` tasks. Returns totalSize. */
export async function listTasks(
  url: string,
  agent: Agent,
  params: { pageSize: number; status?: string },
): Promise<number> {
  const { reply, problem } = await call(url, agent, 'ListTasks', params);
  if (reply?.tasks?.length !== params.pageSize || typeof reply.totalSize !== 'number') {
    throw new Error(problem);
  }
  return reply.totalSize;
}

/** SendStreamingMessage read to its end; throws unless it echoed and ended COMPLETED. */
export async function streamMessage(url: string, agent: Agent): Promise<void> {
  const text = `stream ${process.pid}-${sent + 1}`;
  const body = rpc('SendStreamingMessage', userMessage(text));
  const answer = await post(url, body, 'text/event-stream', agent);
  if (answer.status !== 200 || !answer.type.startsWith('text/event-stream')) {
    const reply = await readText(answer.chunks);
    throw new Error(`HTTP ${answer.status} ${answer.type}: ${reply.slice(0, 300)}`);
  }
  let echoed = false;
  let finalState: string | undefined;
  let problem: string | undefined;
  const parser = createParser({
    onEvent(event) {
      const reply = parseReply(event.data);
      if (event.event === 'error' || !reply || reply.error) problem ??= event.data.slice(0, 300);
      if (reply?.result?.artifactUpdate?.artifact?.parts?.[0]?.text === text) echoed = true;
      // Reset by every event: only a status update as the very last event may end the stream.
      finalState = reply?.result?.statusUpdate?.status?.state;
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of answer.chunks) parser.feed(decoder.decode(chunk, { stream: true }));
  if (problem || !echoed || finalState !== 'TASK_STATE_COMPLETED') {
    throw new Error(problem ?? `stream ended with state ${finalState}, echoed: ${echoed}`);
  }
}

/**
 * SubscribeToTask on a task that stays put: resolves once its first event (the task) arrived,
 * with a function that ends the stream. The stream has no answer timeout: it is meant to idle.
 */
export async function openIdleStream(url: string, agent: Agent, id: string): Promise<() => void> {
  const body = rpc('SubscribeToTask', { id });
  const answer = await viaHttp(url, body, 'text/event-stream', agent, 0);
  const incoming = answer.chunks as IncomingMessage;
  if (answer.status !== 200 || !answer.type.startsWith('text/event-stream')) {
    const reply = await readText(incoming);
    throw new Error(`HTTP ${answer.status} ${answer.type}: ${reply.slice(0, 300)}`);
  }
  // Read by listener, not `for await`: leaving that loop would end the stream.
  const first = await new Promise<string>((resolve, reject) => {
    let text = '';
    incoming.setEncoding('utf8');
    incoming.on('data', (chunk: string) => {
      if (text.includes('\n\n')) return; // heartbeats of an idle stream: drained, unread
      text += chunk;
      if (text.includes('\n\n')) resolve(text);
    });
    incoming.once('error', reject);
    incoming.once('end', () => reject(new Error(`the stream ended: ${text.slice(0, 300)}`)));
  });
  if (!first.includes('TASK_STATE_INPUT_REQUIRED')) {
    incoming.destroy();
    throw new Error(`the stream did not open with the task: ${first.slice(0, 300)}`);
  }
  return () => incoming.destroy();
}
