/**
 * The load generator of `npm run bench:a2a`: checked SendMessage and SendStreamingMessage calls
 * over HTTP, a closed loop that keeps a fixed number in flight, and the `--load` mode the driver
 * runs as its own pinned process, which prints one JSON line of figures.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { createParser } from 'eventsource-parser';
import { cpuSeconds } from './pinned-process.js';
import { percentile, progress } from './report.js';

/** Operations in flight: BENCH_CONCURRENCY, read here because the socket pool is sized by it. */
export const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 16);
const WARM_UP_SECONDS = 2;
// One answer slower than this is an error, not a hang.
const REQUEST_TIMEOUT_MS = 10_000;

/** One measured window of one operation. */
export interface Measure {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  errors: number;
  firstError?: string;
  /** CPU the server process used, in % of one core: 100 means core 0 was the limit. */
  serverCpuPct: number;
  /** The same for the load generator: near 100, the figures are the client's limit. */
  loadCpuPct: number;
  /** Everything else on the machine (of 200): other work sharing the cores, or a local DB. */
  otherCpuPct: number;
}

/** What `--load` prints as its last line. */
export interface LoadResult {
  send: Measure;
  stream: Measure;
}

interface RpcReply {
  error?: unknown;
  result?: {
    task?: { status?: { state?: string }; artifacts?: { parts?: { text?: string }[] }[] };
    statusUpdate?: { status?: { state?: string } };
    artifactUpdate?: { artifact?: { parts?: { text?: string }[] } };
  };
}

/** What the checks need of an HTTP answer, whichever client fetched it. */
interface Answer {
  status: number;
  type: string;
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}
type Post = (url: string, body: string, accept: string) => Promise<Answer>;

const headers = (accept: string) => ({
  'A2A-Version': '1.0',
  'Content-Type': 'application/json',
  Accept: accept,
});

const viaFetch: Post = async (url, body, accept) => {
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const response = await fetch(url, { method: 'POST', headers: headers(accept), body, signal });
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, chunks: response.body ?? [] };
};

// Keep-alive with a socket per request in flight, as undici's default Agent does for fetch.
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const viaHttp: Post = (url, body, accept) =>
  new Promise((resolve, reject) => {
    const length = Buffer.byteLength(body);
    const options = { method: 'POST', agent, timeout: REQUEST_TIMEOUT_MS };
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

/**
 * node:http unless BENCH_CLIENT=fetch. Per request, fetch (undici) costs the client about twice
 * the CPU the SDK server spends: pinned to core 1 it tops out near 2,000 SendMessage/s at 100%
 * CPU while the reference on core 0 sits at 60%. node:http drives the same server harder at half
 * its core. A client that saturates first measures itself.
 */
const post: Post = process.env.BENCH_CLIENT === 'fetch' ? viaFetch : viaHttp;

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
function rpc(method: string): { text: string; body: string } {
  const text = `echo ${process.pid}-${++sent}`;
  const message = { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text }] };
  return { text, body: JSON.stringify({ jsonrpc: '2.0', id: sent, method, params: { message } }) };
}

/** Blocking SendMessage; throws unless the task completed with the echoed text. */
export async function sendMessage(url: string): Promise<void> {
  const { text, body } = rpc('SendMessage');
  const answer = await post(url, body, 'application/json');
  const reply = await readText(answer.chunks);
  const task = parseReply(reply)?.result?.task;
  const state = task?.status?.state;
  if (state !== 'TASK_STATE_COMPLETED' || task?.artifacts?.[0]?.parts?.[0]?.text !== text) {
    throw new Error(`HTTP ${answer.status}: ${reply.slice(0, 300)}`);
  }
}

/** SendStreamingMessage read to its end; throws unless it echoed and ended COMPLETED. */
export async function streamMessage(url: string): Promise<void> {
  const { text, body } = rpc('SendStreamingMessage');
  const answer = await post(url, body, 'text/event-stream');
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

/** Keeps `concurrency` operations in flight for `seconds` (closed loop). */
async function measure(
  operation: () => Promise<void>,
  seconds: number,
  concurrency: number,
  serverPid: number,
): Promise<Measure> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const cpuBefore = [await cpuSeconds(serverPid), await cpuSeconds(), process.cpuUsage()] as const;
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const at = performance.now();
        try {
          await operation();
          latencies.push(performance.now() - at);
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  // Until the last operation in flight ends, so every one counted lies inside the window.
  const elapsed = (performance.now() - started) / 1_000;
  const { user, system } = process.cpuUsage(cpuBefore[2]);
  const load = (user + system) / 1e6;
  const server = (await cpuSeconds(serverPid)) - cpuBefore[0];
  const machine = (await cpuSeconds()) - cpuBefore[1];
  return {
    perSec: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ok: latencies.length,
    errors,
    ...(firstError ? { firstError } : {}),
    serverCpuPct: (server / elapsed) * 100,
    loadCpuPct: (load / elapsed) * 100,
    otherCpuPct: (Math.max(0, machine - server - load) / elapsed) * 100,
  };
}

/** The arguments after `--load`, built here so both ends of the command line agree. */
export function loadArgs(url: string, seconds: number, concurrency: number, serverPid: number) {
  return [url, String(seconds), String(concurrency), String(serverPid)];
}

/**
 * How long a load process may run before the driver gives up on it: warm-up and window for both
 * operations, 30 s to start, and one late answer at the end of each window.
 */
export function loadBudgetMs(seconds: number): number {
  return (2 * (WARM_UP_SECONDS + seconds) + 30) * 1_000 + 2 * REQUEST_TIMEOUT_MS;
}

/**
 * `--load <json-rpc-url> <seconds> <concurrency> <server-pid>`: the load generator, run by the
 * driver as its own process under `taskset -c 1` rather than pinning the driver itself. A fresh
 * process per target gives every server the same cold client (no JIT state or sockets carried
 * over), and the driver stays free to watch the server and kill a load that outlives it.
 */
export async function loadMain([url = '', ...numbers]: string[]): Promise<void> {
  const [seconds = 0, concurrency = 0, serverPid = 0] = numbers.map(Number);
  const run = async (name: string, operation: (url: string) => Promise<void>) => {
    const once = () => operation(url);
    await measure(once, WARM_UP_SECONDS, concurrency, serverPid);
    progress(`${name}: ${seconds} s, ${concurrency} in flight`);
    return measure(once, seconds, concurrency, serverPid);
  };
  const send = await run('SendMessage', sendMessage);
  const stream = await run('SendStreamingMessage', streamMessage);
  console.log(JSON.stringify({ send, stream } satisfies LoadResult));
}
