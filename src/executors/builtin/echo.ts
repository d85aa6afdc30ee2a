import { randomUUID } from 'node:crypto';
import type { Artifact, Message, Part } from '../../protocol/index.js';
import type { AgentExecutor, Emit, ExecutionContext } from '../agent-executor.js';

/** The commands the echo agent understands; its agent card lists them as skill examples. */
export const ECHO_COMMANDS = [
  'any text: completes with one artifact holding exactly that text',
  '/stream 5: streams 5 chunks of one artifact, then completes',
  '/input: asks for input; the next message on the task completes it',
  '/auth: asks for authentication (auth-required)',
  '/sleep 2000: works for 2 s (cancel it meanwhile), then completes',
  '/delay 20 hello: waits 20 ms (cancel it meanwhile), then completes as an echo of "hello"',
  '/fail: ends in failed',
  '/reject: ends in rejected',
  '/reply hello: answers with a message instead of a task',
  '/throw: the agent throws (the task fails, saying why)',
] as const;

// `/delay MS TEXT`: the text after the number is echoed as sent (spaces kept).
const DELAY = /^\s*\/delay\s+(\d*)\s?([\s\S]*)$/;

/**
 * A deterministic demo agent for demos, tests, benchmarks and the A2A TCK. Behaviour comes
 * from the message: first the TCK's `messageId` prefixes (the a2aproject/a2a-tck suite's SUT expectations),
 * then `/commands` in the text, else a plain echo.
 */
export function createEchoAgent(): AgentExecutor {
  return {
    async execute(context, emit) {
      const tck = TCK_BEHAVIOURS.find(([prefix]) => context.message.messageId.startsWith(prefix));
      if (tck) return tck[1](context, emit);
      const text = textOf(context.message);
      const [command, ...rest] = text.trim().split(/\s+/);
      const argument = rest.join(' ');
      switch (command) {
        case '/stream':
          return streamChunks(context, emit, clampCount(argument, 5));
        case '/input':
          return emit({
            kind: 'status',
            state: 'TASK_STATE_INPUT_REQUIRED',
            message: say('What should I echo?'),
          });
        case '/auth':
          return emit({
            kind: 'status',
            state: 'TASK_STATE_AUTH_REQUIRED',
            message: say('Please authenticate.'),
          });
        case '/sleep': {
          const ms = Math.min(Number.parseInt(argument, 10) || 1_000, 600_000);
          await emit({
            kind: 'status',
            state: 'TASK_STATE_WORKING',
            message: say(`sleeping ${ms} ms`),
          });
          await sleep(ms, context.signal);
          return complete(context, emit, [{ text: `slept ${ms} ms` }]);
        }
        case '/delay': {
          // An agent that takes a while: no WORKING status, then exactly a plain echo's
          // completion, so a benchmark sees what the gateway adds to a slow agent.
          const [, digits = '', echoed = ''] = DELAY.exec(text) ?? [];
          const ms = Math.min(digits ? Number(digits) : 1_000, 600_000);
          await sleep(ms, context.signal);
          return complete(context, emit, [{ text: echoed }]);
        }
        case '/fail':
          return emit({
            kind: 'status',
            state: 'TASK_STATE_FAILED',
            message: say('failed on request (/fail)'),
          });
        case '/reject':
          return emit({
            kind: 'status',
            state: 'TASK_STATE_REJECTED',
            message: say('rejected on request (/reject)'),
          });
        case '/reply':
          return emit({ kind: 'message', message: say(argument || 'hello') });
        case '/throw':
          throw new Error(argument || 'thrown on request (/throw)');
        default:
          return complete(context, emit, context.message.parts);
      }
    },
  };
}

async function complete(
  context: ExecutionContext,
  emit: Emit,
  parts: Part[],
  message?: Message,
): Promise<void> {
  await emit(
    {
      kind: 'artifact',
      artifact: { artifactId: `echo-${context.message.messageId}`, parts },
      lastChunk: true,
    },
    { kind: 'status', state: 'TASK_STATE_COMPLETED', ...(message ? { message } : {}) },
  );
}

async function streamChunks(context: ExecutionContext, emit: Emit, count: number): Promise<void> {
  await emit({ kind: 'status', state: 'TASK_STATE_WORKING' });
  const artifactId = `echo-${context.message.messageId}`;
  for (let i = 1; i <= count; i++) {
    context.signal.throwIfAborted();
    await emit({
      kind: 'artifact',
      artifact: { artifactId, parts: [{ text: `chunk ${i}/${count}` }] },
      append: i > 1,
      lastChunk: i === count,
    });
  }
  await emit({ kind: 'status', state: 'TASK_STATE_COMPLETED' });
}

/** Working, one artifact, completed: the shape most TCK streaming scenarios ask for. */
function streamed(artifact: Omit<Artifact, 'artifactId'>) {
  return async (context: ExecutionContext, emit: Emit) => {
    await emit({ kind: 'status', state: 'TASK_STATE_WORKING' });
    await emit({
      kind: 'artifact',
      artifact: { artifactId: `echo-${context.message.messageId}`, ...artifact },
      lastChunk: true,
    });
    await emit({ kind: 'status', state: 'TASK_STATE_COMPLETED' });
  };
}

const FILE_TEXT = Buffer.from('Hello from TCK').toString('base64');

// Longest prefix first: `tck-artifact-file-url` before `tck-artifact-file`.
const TCK_BEHAVIOURS: [string, (context: ExecutionContext, emit: Emit) => Promise<void>][] = [
  ['tck-complete-task', (c, e) => complete(c, e, c.message.parts, say('Hello from TCK'))],
  [
    'tck-input-required',
    (_, e) =>
      e({
        kind: 'status',
        state: 'TASK_STATE_INPUT_REQUIRED',
        message: say('Please provide more input'),
      }),
  ],
  ['tck-artifact-text', (c, e) => complete(c, e, [{ text: 'Generated text content' }])],
  [
    'tck-artifact-file-url',
    (c, e) =>
      complete(c, e, [
        { url: 'https://example.com/output.txt', filename: 'output.txt', mediaType: 'text/plain' },
      ]),
  ],
  [
    'tck-artifact-file',
    (c, e) => complete(c, e, [{ raw: FILE_TEXT, filename: 'output.txt', mediaType: 'text/plain' }]),
  ],
  [
    'tck-artifact-data',
    (c, e) =>
      complete(c, e, [{ data: { key: 'value', count: 42 }, mediaType: 'application/json' }]),
  ],
  [
    'tck-message-response',
    (_, e) => e({ kind: 'message', message: say('Direct message response') }),
  ],
  [
    'tck-reject-task',
    (_, e) => e({ kind: 'status', state: 'TASK_STATE_REJECTED', message: say('rejected') }),
  ],
  [
    'tck-stream-artifact-chunked',
    async (c, e) => {
      const artifactId = `echo-${c.message.messageId}`;
      await e({ kind: 'status', state: 'TASK_STATE_WORKING' });
      await e({
        kind: 'artifact',
        artifact: { artifactId, parts: [{ text: 'chunk-1 ' }] },
        append: false,
      });
      await e({
        kind: 'artifact',
        artifact: { artifactId, parts: [{ text: 'chunk-2' }] },
        append: true,
        lastChunk: true,
      });
      await e({ kind: 'status', state: 'TASK_STATE_COMPLETED' });
    },
  ],
  ['tck-stream-artifact-text', streamed({ parts: [{ text: 'Streamed text content' }] })],
  [
    'tck-stream-artifact-file',
    streamed({ parts: [{ raw: FILE_TEXT, filename: 'output.txt', mediaType: 'text/plain' }] }),
  ],
  ['tck-stream-ordering-001', streamed({ parts: [{ text: 'Ordered output' }] })],
  ['tck-stream-001', streamed({ parts: [{ text: 'Stream hello from TCK' }] })],
  ['tck-stream-002', (_, e) => e({ kind: 'status', state: 'TASK_STATE_COMPLETED' })],
  ['tck-stream-003', streamed({ parts: [{ text: 'Stream task lifecycle' }] })],
  [
    'test-resubscribe-message-id',
    async (c, e) => {
      await e({ kind: 'status', state: 'TASK_STATE_WORKING' });
      await sleep(4_000, c.signal);
      await e({ kind: 'status', state: 'TASK_STATE_COMPLETED' });
    },
  ],
];

function say(text: string): Message {
  return { messageId: randomUUID(), role: 'ROLE_AGENT', parts: [{ text }] };
}

function textOf(message: Message): string {
  return message.parts.map((part) => part.text ?? '').join('');
}

function clampCount(argument: string, fallback: number): number {
  const n = Number.parseInt(argument, 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 10_000) : fallback;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
