import type { Message, Task, TaskState } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { eventually } from '../../support/collect.js';
import { type JsonBody, startGatewayWithAgents, type TestGateway } from '../../support/gateway.js';
import { jsonRpcSdkClient, sdkMessage, sdkSend } from '../../support/sdk.js';

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
  const files = Object.fromEntries(
    Object.entries(agents).map(([name, executor]) => [
      name,
      { name, card: {}, executor: { kind: 'a2a', ...executor } },
    ]),
  );
  const gateway = await startGatewayWithAgents(files, { env });
  return {
    url: gateway.url,
    gateway,
    client: (agent) => jsonRpcSdkClient(`${gateway.url}/agents/${agent}/`),
    async audit(taskId) {
      const response = await fetch(`${gateway.url}/tasks/${taskId}/events`);
      if (response.status !== 200) throw new Error(`audit of ${taskId}: HTTP ${response.status}`);
      return ((await response.json()) as JsonBody).events;
    },
    async health() {
      return (await fetch(`${gateway.url}/healthz`)).json();
    },
    stop: () => gateway.stop(),
  };
}

/** A user text message as the SDK client sends it. */
export const say = sdkMessage;

/** SendMessage params; `returnImmediately` to get the task back before it settles. */
export function send(message: Message, returnImmediately = false) {
  return sdkSend(message, { returnImmediately });
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
