/**
 * The reference for `npm run bench:a2a`: the @a2a-js/sdk 1.3.0 server (DefaultRequestHandler on
 * InMemoryTaskStore) behind plain node:http, running the same echo agent the gateway benchmark
 * calls (plain echo and `/delay MS TEXT`). No framework, so what is measured is the SDK plus
 * Node's HTTP server.
 *
 *   PORT=8080 HOST=127.0.0.1 tsx bench/reference/sdk-echo-server.ts
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  A2A_PROTOCOL_VERSION,
  A2A_VERSION_HEADER,
  AGENT_CARD_PATH,
  type AgentCard,
  formatSSEErrorEvent,
  formatSSEEvent,
  HTTP_EXTENSION_HEADER,
  SSE_HEADERS,
  TaskState,
} from '@a2a-js/sdk';
import {
  AgentEvent,
  type AgentExecutor,
  DefaultRequestHandler,
  defaultServerCallContextBuilder,
  InMemoryTaskStore,
  JsonRpcTransportHandler,
  UnauthenticatedUser,
  validateVersion,
} from '@a2a-js/sdk/server';

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 8080);
const url = `http://${host}:${port}/`;

const card: AgentCard = {
  name: 'SDK echo (reference)',
  description: 'Echoes the text of each message as an artifact; the bench:a2a reference.',
  supportedInterfaces: [
    { url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
  ],
  provider: undefined,
  version: '1.0.0',
  capabilities: { streaming: true, pushNotifications: false, extensions: [] },
  securitySchemes: {},
  securityRequirements: [],
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [
    {
      id: 'echo',
      name: 'Echo',
      description: 'Returns the text it was sent.',
      tags: ['echo'],
      examples: [],
      inputModes: [],
      outputModes: [],
      securityRequirements: [],
    },
  ],
  signatures: [],
};

// `/delay MS TEXT`, as the gateway's echo agent reads it: the text after the number is echoed.
const DELAY = /^\s*\/delay\s+(\d*)\s?([\s\S]*)$/;
/** Runs waiting in `/delay`, so a cancel can end the wait. */
const delays = new Map<string, AbortController>();

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

const status = (state: TaskState) => ({
  state,
  message: undefined,
  timestamp: new Date().toISOString(),
});

/**
 * Task, then one artifact holding exactly the user's text, then COMPLETED (final). With
 * `/delay MS TEXT` (the gateway echo's command), the task first, then MS milliseconds with no
 * status, then the same completion echoing TEXT; a cancel meanwhile ends it CANCELED.
 */
const echo: AgentExecutor = {
  async execute(context, bus) {
    const { taskId, contextId, userMessage } = context;
    let text = userMessage.parts
      .map((part) => (part.content?.$case === 'text' ? part.content.value : ''))
      .join('');
    bus.publish(
      AgentEvent.task({
        id: taskId,
        contextId,
        status: status(TaskState.TASK_STATE_SUBMITTED),
        artifacts: [],
        history: [userMessage],
        metadata: undefined,
      }),
    );
    const delay = DELAY.exec(text);
    if (delay) {
      const [, digits = '', echoed = ''] = delay;
      const controller = new AbortController();
      delays.set(taskId, controller);
      try {
        await sleep(Math.min(digits ? Number(digits) : 1_000, 600_000), controller.signal);
      } catch {
        const canceled = status(TaskState.TASK_STATE_CANCELED);
        bus.publish(
          AgentEvent.statusUpdate({ taskId, contextId, status: canceled, metadata: undefined }),
        );
        return;
      } finally {
        delays.delete(taskId);
      }
      text = echoed;
    }
    bus.publish(
      AgentEvent.artifactUpdate({
        taskId,
        contextId,
        artifact: {
          artifactId: randomUUID(),
          name: 'echo',
          description: '',
          parts: [
            {
              content: { $case: 'text', value: text },
              metadata: undefined,
              filename: '',
              mediaType: 'text/plain',
            },
          ],
          metadata: undefined,
          extensions: [],
        },
        append: false,
        lastChunk: true,
        metadata: undefined,
      }),
    );
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId,
        status: status(TaskState.TASK_STATE_COMPLETED),
        metadata: undefined,
      }),
    );
  },
  async cancelTask(taskId) {
    // Only a `/delay` run lasts long enough to be canceled; it publishes CANCELED itself.
    delays.get(taskId)?.abort(new Error('canceled'));
  },
};

const requestHandler = new DefaultRequestHandler(card, new InMemoryTaskStore(), echo);
const transport = new JsonRpcTransportHandler(requestHandler);
const cardBody = JSON.stringify(card);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Mirrors the SDK's express jsonRpcHandler (v1.0 only), minus express. */
async function handleJsonRpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let id: unknown = null;
  try {
    const body: unknown = JSON.parse(await readBody(req));
    if (typeof body === 'object' && body !== null && 'id' in body) id = body.id;
    const context = defaultServerCallContextBuilder({
      extensions: req.headers[HTTP_EXTENSION_HEADER.toLowerCase()]
        ?.toString()
        .split(',')
        .map((uri) => uri.trim())
        .filter(Boolean),
      user: new UnauthenticatedUser(),
      headers: req.headers,
      requestedVersion: req.headers[A2A_VERSION_HEADER.toLowerCase()]?.toString() || undefined,
    });
    // The transport handler leaves version negotiation to the HTTP layer, as express does.
    validateVersion(context.requestedVersion, card, 'JSONRPC');
    const answer = await transport.handle(body as Record<string, unknown>, context);
    if (!(Symbol.asyncIterator in answer)) return sendJson(res, 200, answer);
    await streamSse(res, answer, id);
  } catch (error) {
    // JSON-RPC 2.0 §5.1: a body that is not JSON is a parse error; the SDK has no class for it.
    const rpcError =
      error instanceof SyntaxError
        ? { code: -32700, message: 'Parse error' }
        : JsonRpcTransportHandler.mapToJSONRPCError(error);
    if (!res.headersSent) sendJson(res, 200, { jsonrpc: '2.0', id, error: rpcError });
    else res.end();
  }
}

/**
 * The first event is awaited before any header goes out, so an error raised before the stream
 * starts is a plain JSON-RPC response, not an SSE event (as the SDK's express handler does).
 */
async function streamSse(
  res: ServerResponse,
  stream: AsyncGenerator<unknown, void, undefined>,
  id: unknown,
): Promise<void> {
  const first = await stream.next();
  res.writeHead(200, SSE_HEADERS);
  try {
    if (!first.done) res.write(formatSSEEvent(first.value));
    for await (const event of { [Symbol.asyncIterator]: () => stream }) {
      if (res.destroyed) break;
      if (!res.write(formatSSEEvent(event))) await once(res, 'drain');
    }
  } catch (error) {
    const rpcError = JsonRpcTransportHandler.mapToJSONRPCError(error);
    if (!res.destroyed) res.write(formatSSEErrorEvent({ jsonrpc: '2.0', id, error: rpcError }));
  } finally {
    res.end();
  }
}

const server = createServer((req, res) => {
  const path = req.url?.split('?')[0];
  if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
  if (req.method === 'GET' && path === `/${AGENT_CARD_PATH}`) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return void res.end(cardBody);
  }
  if (req.method === 'POST' && path === '/') return void handleJsonRpc(req, res);
  sendJson(res, 404, { error: 'not_found' });
});

server.listen(port, host, () => console.log(`listening on ${url}`));

const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
