import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Message, Role, type Task, type TaskState } from '@a2a-js/sdk';
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';
import { eventually } from '../../support/collect.js';
import { type JsonBody, startTestGateway, type TestGateway } from '../../support/gateway.js';

/** A real gateway whose agents are upstream A2A agents, one agent file each. */
export interface ProxyGateway {
  url: string;
  gateway: TestGateway;
  /** The @a2a-js/sdk client of one hosted agent, found through its card. */
  client(agent: string): Promise<Client>;
  /** The task's audit timeline (`GET /tasks/{id}/events`). */
  audit(taskId: string): Promise<{ type: string; data: JsonBody }[]>;
  /** `GET /healthz`. */
  health(): Promise<JsonBody>;
  stop(): Promise<void>;
}

/**
 * Starts a gateway (PGlite in a temp folder) with one agent file per entry of `agents`: the
 * value is the `executor` (kind `a2a` is added) of an agent with an empty `card`.
 */
export async function startProxyGateway(
  agents: Record<string, Record<string, unknown>>,
  env: Record<string, string> = {},
): Promise<ProxyGateway> {
  const folder = await mkdtemp(join(tmpdir(), 'upstream-agents-'));
  for (const [name, executor] of Object.entries(agents)) {
    const file = { name, card: {}, executor: { kind: 'a2a', ...executor } };
    await writeFile(join(folder, `${name}.json`), JSON.stringify(file));
  }
  let gateway: TestGateway;
  try {
    gateway = await startTestGateway({ env: { AGENT_CARDS_DIR: folder, ...env } });
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory()],
      preferredTransports: ['JSONRPC'],
    }),
  );
  return {
    url: gateway.url,
    gateway,
    client: (agent) => factory.createFromUrl(`${gateway.url}/agents/${agent}/`),
    async audit(taskId) {
      const response = await fetch(`${gateway.url}/tasks/${taskId}/events`);
      if (response.status !== 200) throw new Error(`audit of ${taskId}: HTTP ${response.status}`);
      return ((await response.json()) as JsonBody).events;
    },
    async health() {
      return (await fetch(`${gateway.url}/healthz`)).json();
    },
    async stop() {
      try {
        await gateway.stop();
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    },
  };
}

let sequence = 0;

/** A user text message as the SDK client sends it. */
export function say(text: string, extra: Partial<Message> = {}): Message {
  sequence += 1;
  return {
    messageId: `m-${process.pid}-${Date.now().toString(36)}-${sequence}`,
    role: Role.ROLE_USER,
    parts: [
      { content: { $case: 'text', value: text }, filename: '', mediaType: '', metadata: undefined },
    ],
    contextId: '',
    taskId: '',
    extensions: [],
    referenceTaskIds: [],
    metadata: undefined,
    ...extra,
  };
}

/** SendMessage params; `returnImmediately` to get the task back before it settles. */
export function send(message: Message, returnImmediately = false) {
  return {
    message,
    tenant: '',
    metadata: undefined,
    configuration: {
      returnImmediately,
      acceptedOutputModes: [],
      historyLength: undefined,
      taskPushNotificationConfig: undefined,
    },
  };
}

export function asTask(result: Message | Task): Task {
  if (!('status' in result)) throw new Error(`expected a task, got ${JSON.stringify(result)}`);
  return result;
}

/** The text of every artifact part of `task`. */
export function artifactTexts(task: Task): string[] {
  return task.artifacts.map((artifact) =>
    artifact.parts
      .map((part) => (part.content?.$case === 'text' ? part.content.value : ''))
      .join(''),
  );
}

/** The text of the task's status message. */
export function statusText(task: Task): string {
  return (task.status?.message?.parts ?? [])
    .map((part) => (part.content?.$case === 'text' ? part.content.value : ''))
    .join('');
}

/** Polls GetTask until the task reaches `state` (bounded). */
export async function waitForState(
  client: Client,
  taskId: string,
  state: TaskState,
  timeoutMs = 15_000,
): Promise<Task> {
  let task: Task | undefined;
  await eventually(async () => {
    task = await client.getTask({ id: taskId, tenant: '', historyLength: undefined });
    return task.status?.state === state;
  }, timeoutMs);
  return task!;
}
