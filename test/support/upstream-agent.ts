/**
 * A reference upstream A2A agent for tests and benchmarks: the @a2a-js/sdk server
 * (DefaultRequestHandler on InMemoryTaskStore) behind plain node:http on a loopback port,
 * speaking A2A 1.0 or, with `protocol: '0.3'`, only 0.3 (the SDK's compat handler, a 0.3 card).
 *
 * What it does comes from the text of each message:
 *   any text        completes with one artifact holding exactly that text
 *   /stream N       WORKING, then N chunks of one artifact, then COMPLETED
 *   /sleep [MS]     WORKING, then waits until canceled (or MS ms, then completes)
 *   /delay MS TEXT  waits MS ms (no status meanwhile), then completes as an echo of TEXT
 *   /input          INPUT_REQUIRED; the next message on the task completes it, echoed
 *   /fail, /reject  ends FAILED, REJECTED
 *   /reply TEXT     answers with a Message instead of a task
 *   /cancel-self    WORKING, then CANCELED by the agent itself (nobody asked)
 * It records every JSON-RPC request (method, headers, body) and each task's last state, can
 * answer garbage instead (`garbage`), refuse requests (`authorize`: 401), and stop and
 * restart on the same port (a crash, as its callers see one).
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AgentCard,
  type Message,
  type Part,
  Role,
  SSE_HEADERS,
  TaskState,
  taskStateToJSON,
} from '@a2a-js/sdk';
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server';
import {
  AgentEvent,
  type AgentExecutionEvent,
  type AgentExecutor,
  DefaultRequestHandler,
  defaultServerCallContextBuilder,
  type ExecutionEventBus,
  InMemoryTaskStore,
  JsonRpcTransportHandler,
  UnauthenticatedUser,
  validateVersion,
} from '@a2a-js/sdk/server';

/** What the agent answers instead of A2A, to every JSON-RPC request. */
export type GarbageMode =
  /** HTML, not JSON. */
  | 'not-json'
  /** JSON, but no JSON-RPC response. */
  | 'not-jsonrpc'
  /** A JSON-RPC response whose task is no valid task (streams: as an SSE event). */
  | 'invalid-task';

export interface UpstreamAgentOptions {
  /** The A2A version it speaks and its card declares (default 1.0). */
  protocol?: '1.0' | '0.3';
  /** The card's `capabilities.streaming` (default true). */
  streaming?: boolean;
  /** The port to listen on (default: a free one). */
  port?: number;
  /** The JSON-RPC URL its card names (default: its own): to point callers elsewhere. */
  advertise?: string;
  /** Requests for which this is false are refused with 401 (the card stays public). */
  authorize?: (headers: IncomingHttpHeaders) => boolean;
  /** An SSE comment on every open stream this often (default: none). */
  heartbeatMs?: number;
  /** Security schemes its 1.0 card declares (ProtoJSON), e.g. an OAuth 2 token URL. */
  securitySchemes?: Record<string, unknown>;
}

export interface ReceivedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: requests under test are read field by field.
  body: any;
}

export interface UpstreamAgent {
  /** Its JSON-RPC endpoint, `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly cardUrl: string;
  readonly port: number;
  /** Every JSON-RPC request it received, oldest first. */
  readonly requests: ReceivedRequest[];
  /** Set to answer garbage from now on; undefined to answer properly again. */
  garbage: GarbageMode | undefined;
  /** The last state its agent published for a task (`TASK_STATE_CANCELED`, …). */
  stateOf(taskId: string): string | undefined;
  /** The requests of one method (`SendMessage`, `message/send`, …). */
  received(method: string): ReceivedRequest[];
  /** Changes top-level fields of the card it serves from now on (`{ version: '2.0.0' }`). */
  updateCard(fields: Record<string, unknown>): void;
  /** Stops listening and drops every connection, as a crash looks from outside; tasks stay. */
  stop(): Promise<void>;
  /** Listens again, on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const SKILL = {
  id: 'echo',
  name: 'Echo',
  description: 'Echoes the text it is sent; /stream, /sleep, /input, /fail and more.',
  tags: ['echo', 'test'],
  examples: ['hello', '/stream 3', '/sleep', '/input'],
  inputModes: [],
  outputModes: [],
  securityRequirements: [],
};

export async function startUpstreamAgent(
  options: UpstreamAgentOptions = {},
): Promise<UpstreamAgent> {
  const protocol = options.protocol ?? '1.0';
  const streaming = options.streaming ?? true;
  const requests: ReceivedRequest[] = [];
  const states = new Map<string, string>();
  const behaviour = createBehaviour(states);
  const streams = new Set<ServerResponse>();
  let garbage: GarbageMode | undefined;
  // Filled in once the port is known.
  let served = '';
  let handlers:
    | { card: AgentCard; transport: JsonRpcTransportHandler | LegacyJsonRpcTransportHandler }
    | undefined;

  const server: Server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method === 'GET' && path === '/.well-known/agent-card.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(served);
    }
    if (req.method === 'POST' && path === '/') return void handle(req, res);
    sendJson(res, 404, { error: 'not_found' });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: ReceivedRequest['body'];
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return sendJson(res, 200, {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32700, message: 'Parse error' },
      });
    }
    requests.push({ method: String(body?.method), headers: req.headers, body });
    if (options.authorize && !options.authorize(req.headers)) {
      res.setHeader('www-authenticate', 'Bearer realm="upstream"');
      return sendJson(res, 401, { error: 'unauthorized' });
    }
    if (garbage) return answerGarbage(res, garbage, body);
    const { card, transport } = handlers!;
    const requestedVersion = protocol === '0.3' ? '0.3' : header(req, 'a2a-version');
    try {
      const context = defaultServerCallContextBuilder({
        extensions: undefined,
        user: new UnauthenticatedUser(),
        headers: req.headers,
        requestedVersion,
      });
      if (protocol === '1.0') validateVersion(context.requestedVersion, card, 'JSONRPC');
      const answer = await transport.handle(body, context);
      if (!(Symbol.asyncIterator in answer)) return sendJson(res, 200, answer);
      await streamSse(res, answer as AsyncGenerator<unknown>, body.id);
    } catch (error) {
      if (!res.headersSent)
        sendJson(res, 200, { jsonrpc: '2.0', id: body.id, error: rpcErrorOf(error) });
      else res.end();
    }
  }

  const rpcErrorOf = (error: unknown) =>
    protocol === '0.3'
      ? LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError(error)
      : JsonRpcTransportHandler.mapToJSONRPCError(error);

  /** The first event goes out with the headers, as the SDK's own express handler does. */
  async function streamSse(res: ServerResponse, stream: AsyncGenerator<unknown>, id: unknown) {
    const first = await stream.next();
    res.writeHead(200, SSE_HEADERS);
    streams.add(res);
    const heartbeat = options.heartbeatMs
      ? setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs)
      : undefined;
    try {
      if (!first.done) res.write(sse(first.value));
      for await (const event of { [Symbol.asyncIterator]: () => stream }) {
        if (res.destroyed) break;
        if (!res.write(sse(event))) await once(res, 'drain');
      }
    } catch (error) {
      if (!res.destroyed)
        res.write(`event: error\n${sse({ jsonrpc: '2.0', id, error: rpcErrorOf(error) })}`);
    } finally {
      clearInterval(heartbeat);
      streams.delete(res);
      res.end();
    }
  }

  function answerGarbage(res: ServerResponse, mode: GarbageMode, body: ReceivedRequest['body']) {
    const streamed = /stream|resubscribe|SubscribeToTask/.test(String(body?.method));
    const invalidTask =
      protocol === '0.3'
        ? { kind: 'task', id: '', contextId: 'c', status: { state: 'bogus' } }
        : { task: { id: '', status: { state: 'TASK_STATE_BOGUS' } } };
    const payload = {
      'not-json': '<html><body>Bad gateway, try later</body></html>',
      'not-jsonrpc': JSON.stringify({ hello: 'world' }),
      'invalid-task': JSON.stringify({ jsonrpc: '2.0', id: body?.id, result: invalidTask }),
    }[mode];
    if (streamed) {
      res.writeHead(200, SSE_HEADERS);
      return void res.end(`data: ${payload}\n\n`);
    }
    res.writeHead(200, {
      'content-type': mode === 'not-json' ? 'text/html' : 'application/json',
    });
    res.end(payload);
  }

  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  const advertised = options.advertise ?? url;
  const card = sdkCard(advertised, protocol, streaming, options.securitySchemes);
  served = JSON.stringify(
    protocol === '0.3' ? v03Card(advertised, streaming) : AgentCard.toJSON(card),
  );
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), behaviour);
  handlers = {
    card,
    transport:
      protocol === '0.3'
        ? new LegacyJsonRpcTransportHandler(handler)
        : new JsonRpcTransportHandler(handler),
  };

  const stop = async () => {
    if (!server.listening) return;
    const closed = once(server, 'close');
    server.close();
    server.closeAllConnections();
    for (const res of streams) res.destroy();
    await closed;
  };

  return {
    url,
    cardUrl: `http://127.0.0.1:${port}/.well-known/agent-card.json`,
    port,
    requests,
    get garbage() {
      return garbage;
    },
    set garbage(mode) {
      garbage = mode;
    },
    stateOf: (taskId) => states.get(taskId),
    received: (method) => requests.filter((request) => request.method === method),
    updateCard(fields) {
      served = JSON.stringify({ ...JSON.parse(served), ...fields });
    },
    stop,
    async restart() {
      if (server.listening) return;
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    async close() {
      behaviour.stopAll();
      await stop();
    },
  };
}

/** The agent behind the server: what each message's text asks for (see the file's comment). */
function createBehaviour(states: Map<string, string>): AgentExecutor & { stopAll(): void } {
  const sleepers = new Map<string, AbortController>();
  const contexts = new Map<string, string>();
  const publish = (bus: ExecutionEventBus, event: AgentExecutionEvent) => {
    if (event.kind === 'task') states.set(event.data.id, stateName(event.data.status?.state));
    if (event.kind === 'statusUpdate')
      states.set(event.data.taskId, stateName(event.data.status?.state));
    bus.publish(event);
  };

  return {
    async execute(context, bus) {
      const { taskId, contextId, userMessage } = context;
      contexts.set(taskId, contextId);
      const text = textOf(userMessage);
      const [command = '', ...rest] = text.trim().split(/\s+/);
      const argument = rest.join(' ');
      const status = (state: TaskState, said?: string) =>
        publish(
          bus,
          AgentEvent.statusUpdate({
            taskId,
            contextId,
            status: {
              state,
              message: said ? agentMessage(said, taskId, contextId) : undefined,
              timestamp: new Date().toISOString(),
            },
            metadata: undefined,
          }),
        );
      const artifact = (artifactId: string, chunk: string, append = false, lastChunk = true) =>
        publish(
          bus,
          AgentEvent.artifactUpdate({
            taskId,
            contextId,
            artifact: {
              artifactId,
              name: 'echo',
              description: '',
              parts: [textPart(chunk)],
              metadata: undefined,
              extensions: [],
            },
            append,
            lastChunk,
            metadata: undefined,
          }),
        );

      if (command === '/reply' && !context.task) {
        return publish(bus, AgentEvent.message(agentMessage(argument, '', contextId)));
      }
      // Every turn starts with the task (the SDK requires it), a follow-up's as it stands.
      publish(
        bus,
        AgentEvent.task(
          context.task ?? {
            id: taskId,
            contextId,
            status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: now() },
            artifacts: [],
            history: [userMessage],
            metadata: undefined,
          },
        ),
      );
      if (context.task) {
        artifact(`echo-${taskId}`, text);
        return status(TaskState.TASK_STATE_COMPLETED);
      }
      switch (command) {
        case '/stream': {
          const count = Math.min(Math.max(Number.parseInt(argument, 10) || 3, 1), 1_000);
          status(TaskState.TASK_STATE_WORKING, `streaming ${count} chunks`);
          for (let i = 0; i < count; i++) {
            // A turn of the event loop between chunks: each goes out as its own SSE event.
            await new Promise((resolve) => setImmediate(resolve));
            artifact(`stream-${taskId}`, `chunk ${i} `, i > 0, i === count - 1);
          }
          return status(TaskState.TASK_STATE_COMPLETED);
        }
        case '/sleep':
        case '/delay': {
          const delay = /^\s*\/delay\s+(\d*)\s?([\s\S]*)$/.exec(text);
          const ms = Math.min(Number.parseInt(argument, 10) || 600_000, 600_000);
          if (command === '/sleep') status(TaskState.TASK_STATE_WORKING, `sleeping ${ms} ms`);
          const controller = new AbortController();
          sleepers.set(taskId, controller);
          try {
            await sleep(ms, controller.signal);
          } catch {
            return status(TaskState.TASK_STATE_CANCELED, 'canceled while sleeping');
          } finally {
            sleepers.delete(taskId);
          }
          artifact(`echo-${taskId}`, delay ? (delay[2] ?? '') : `slept ${ms} ms`);
          return status(TaskState.TASK_STATE_COMPLETED);
        }
        case '/input':
          return status(TaskState.TASK_STATE_INPUT_REQUIRED, 'What should I echo?');
        case '/fail':
          return status(TaskState.TASK_STATE_FAILED, 'failed on request (/fail)');
        case '/reject':
          return status(TaskState.TASK_STATE_REJECTED, 'rejected on request (/reject)');
        case '/cancel-self':
          status(TaskState.TASK_STATE_WORKING, 'about to give up');
          return status(TaskState.TASK_STATE_CANCELED, 'I canceled this myself');
        default:
          artifact(`echo-${taskId}`, text);
          return status(TaskState.TASK_STATE_COMPLETED);
      }
    },
    async cancelTask(taskId, bus) {
      const sleeper = sleepers.get(taskId);
      if (sleeper) return sleeper.abort();
      // Nothing running (input required): the task is canceled as it stands.
      publish(
        bus,
        AgentEvent.statusUpdate({
          taskId,
          contextId: contexts.get(taskId) ?? '',
          status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: now() },
          metadata: undefined,
        }),
      );
    },
    stopAll() {
      for (const sleeper of sleepers.values()) sleeper.abort();
    },
  };
}

function sdkCard(
  url: string,
  protocol: '1.0' | '0.3',
  streaming: boolean,
  securitySchemes: Record<string, unknown> | undefined,
): AgentCard {
  return AgentCard.fromJSON({
    name: 'Reference upstream',
    description: 'An @a2a-js/sdk agent that echoes, streams, sleeps and asks for input.',
    supportedInterfaces: [{ url, protocolBinding: 'JSONRPC', protocolVersion: protocol }],
    provider: { organization: 'A2A gateway tests', url: 'https://example.org/tests' },
    version: '1.2.3',
    documentationUrl: 'https://example.org/tests/upstream',
    capabilities: { streaming, pushNotifications: false },
    ...(securitySchemes ? { securitySchemes } : {}),
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [SKILL],
  });
}

/** The same card as an A2A 0.3 agent publishes it: one flat URL and protocol version. */
function v03Card(url: string, streaming: boolean) {
  return {
    protocolVersion: '0.3.0',
    name: 'Reference upstream (0.3)',
    description: 'An @a2a-js/sdk agent speaking A2A 0.3 only.',
    url,
    preferredTransport: 'JSONRPC',
    provider: { organization: 'A2A gateway tests', url: 'https://example.org/tests' },
    version: '0.3.9',
    capabilities: { streaming, pushNotifications: false },
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [{ id: SKILL.id, name: SKILL.name, description: SKILL.description, tags: SKILL.tags }],
  };
}

function agentMessage(text: string, taskId: string, contextId: string): Message {
  return {
    messageId: `upstream-${Math.random().toString(36).slice(2)}`,
    role: Role.ROLE_AGENT,
    parts: [textPart(text)],
    contextId,
    taskId,
    extensions: [],
    referenceTaskIds: [],
    metadata: undefined,
  };
}

function textPart(text: string): Part {
  return {
    content: { $case: 'text', value: text },
    metadata: undefined,
    filename: '',
    mediaType: 'text/plain',
  };
}

function textOf(message: Message): string {
  return message.parts
    .map((part) => (part.content?.$case === 'text' ? part.content.value : ''))
    .join('');
}

function stateName(state: TaskState | undefined): string {
  return taskStateToJSON(state ?? TaskState.TASK_STATE_UNSPECIFIED);
}

const now = () => new Date().toISOString();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

const sse = (event: unknown) => `data: ${JSON.stringify(event)}\n\n`;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
