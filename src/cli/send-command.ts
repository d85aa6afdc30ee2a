import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { SendMessageResponse, StreamResponse, Task } from '../protocol/index.js';
import { baseOf, GatewayError, getJson, rpcCall, withUrl } from './remote.js';
import { readSse } from './sse-client.js';
import { describeStreamEvent, describeTask, isFailure, messageText } from './task-text.js';

interface SendOptions {
  url: string;
  stream: boolean;
  json?: boolean;
  context?: string;
  task?: string;
  tenant?: string;
}

/**
 * `send <agent-or-card-url> <text>`: a message to a hosted agent (by name, at `--url`) or to
 * any A2A agent (by its card's URL), followed live over SSE until the task settles.
 */
export function registerSendCommand(program: Command): void {
  withUrl(
    program
      .command('send')
      .description(
        'send a message to an agent and follow the task live (status, messages, artifacts)',
      )
      .argument('<agent>', 'a hosted agent name (at --url), or the URL of an agent card')
      .argument('<text...>', 'the message text'),
  )
    .option('--no-stream', 'one blocking SendMessage instead of following over SSE')
    .option('--json', 'print each stream event (or the answer) as one JSON line')
    .option('--context <contextId>', 'continue this conversation')
    .option('--task <taskId>', 'a follow-up message to this task (input-required)')
    .option('--tenant <tenant>', 'the tenant to act in')
    .action(async (agent: string, words: string[], options: SendOptions) => {
      const endpoint = await endpointOf(agent, options.url);
      const params = {
        ...(options.tenant ? { tenant: options.tenant } : {}),
        message: {
          messageId: randomUUID(),
          role: 'ROLE_USER',
          parts: [{ text: words.join(' ') }],
          ...(options.context ? { contextId: options.context } : {}),
          ...(options.task ? { taskId: options.task } : {}),
        },
      };
      const state = options.stream
        ? await follow(endpoint, params, options.json)
        : await blocking(endpoint, params, options.json);
      if (isFailure(state)) process.exitCode = 1;
    });
}

/** A name is a hosted agent of the gateway at `url`; a URL is an agent card (or its base). */
async function endpointOf(agent: string, url: string): Promise<string> {
  if (!/^https?:\/\//i.test(agent)) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(agent))
      throw new GatewayError(`${agent}: not an agent name (a-z 0-9 -) nor an http(s) URL`);
    return `${baseOf(url)}/agents/${agent}`;
  }
  const parsed = new URL(agent);
  if (!parsed.pathname.endsWith('.json'))
    parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/.well-known/agent-card.json`;
  const card = await getJson<{
    url?: string;
    supportedInterfaces?: { url: string; protocolBinding: string; protocolVersion?: string }[];
  }>(parsed.origin, `${parsed.pathname}${parsed.search}`);
  const jsonRpc = (card?.supportedInterfaces ?? []).filter(
    (face) => face.protocolBinding.toUpperCase() === 'JSONRPC',
  );
  const chosen = jsonRpc.find((face) => face.protocolVersion === '1.0') ?? jsonRpc[0];
  const endpoint = chosen?.url ?? card?.url;
  if (!endpoint) throw new GatewayError(`${parsed.href}: the card names no JSON-RPC interface`);
  return endpoint;
}

async function blocking(
  endpoint: string,
  params: object,
  json: boolean | undefined,
): Promise<string | undefined> {
  const answer = await rpcCall<SendMessageResponse>(endpoint, 'SendMessage', params);
  if (json) console.log(JSON.stringify(answer));
  else if (answer.task) console.log(describeTask(answer.task));
  else if (answer.message) console.log(`agent: ${messageText(answer.message)}`);
  return answer.task?.status.state;
}

/** Prints each event as it comes; Ctrl-C stops following (the task goes on). */
async function follow(
  endpoint: string,
  params: object,
  json: boolean | undefined,
): Promise<string | undefined> {
  const abort = new AbortController();
  let task: Pick<Task, 'id'> | undefined;
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  let state: string | undefined;
  try {
    const events = readSse(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendStreamingMessage', params }),
      signal: abort.signal,
    });
    for await (const frame of events) {
      const envelope = JSON.parse(frame.data) as {
        result?: StreamResponse;
        error?: { code?: number; message?: string };
      };
      if (envelope.error)
        throw new GatewayError(
          `JSON-RPC error ${envelope.error.code ?? '?'}: ${envelope.error.message ?? ''}`,
          envelope.error.code,
        );
      const event = envelope.result;
      if (!event) continue;
      if (event.task) task = event.task;
      state = event.task?.status.state ?? event.statusUpdate?.status.state ?? state;
      console.log(json ? JSON.stringify(event) : describeStreamEvent(event));
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
  if (abort.signal.aborted) {
    console.error(`stopped following${task ? `; task ${task.id} goes on` : ''}`);
    process.exitCode = 130;
  }
  return state;
}
