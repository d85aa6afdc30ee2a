import { type Message, type Part, TaskState } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import { startGatewayWithAgents, type TestGateway } from '../support/gateway.js';
import { asTask, jsonRpcSdkClient, sdkMessage, sdkSend } from '../support/sdk.js';
import { EVERYTHING } from './mcp/everything.js';

interface AuditEvent {
  type: string;
  data: Record<string, unknown>;
}

async function auditOf(gateway: TestGateway, taskId: string): Promise<AuditEvent[]> {
  const response = await fetch(`${gateway.url}/tasks/${taskId}/events`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: AuditEvent[] }).events;
}

function dataMessage(value: Record<string, unknown>): Message {
  const data: Part = {
    content: { $case: 'data', value },
    filename: '',
    mediaType: 'application/json',
    metadata: undefined,
  };
  return sdkMessage('', { parts: [data] });
}

/**
 * The whole chain: an A2A client → gateway A (agent `relay`, an upstream A2A agent) → gateway B
 * (agent `everything`, the tools of an MCP server) → the MCP reference server over stdio.
 */
describe('a delegation chain: A2A client → gateway → upstream A2A gateway → its MCP tool', () => {
  let inner: TestGateway;
  let outer: TestGateway;
  let client: Client;

  beforeAll(async () => {
    inner = await startGatewayWithAgents({
      everything: {
        name: 'everything',
        card: {},
        executor: {
          kind: 'mcp',
          server: { transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
          tools: ['echo', 'get-sum', 'trigger-long-running-operation'],
        },
      },
    });
    outer = await startGatewayWithAgents({
      relay: {
        name: 'relay',
        card: { name: 'Relay' },
        executor: {
          kind: 'a2a',
          cardUrl: `${inner.url}/agents/everything/.well-known/agent-card.json`,
        },
      },
    });
    client = await jsonRpcSdkClient(`${outer.url}/agents/relay/`);
  }, 120_000);
  afterAll(async () => {
    await outer?.stop();
    await inner?.stop();
  });

  it('republishes the MCP tools as the relay skills, on the outer gateway card', async () => {
    const card = (await (
      await fetch(`${outer.url}/agents/relay/.well-known/agent-card.json`)
    ).json()) as { name: string; skills: { id: string }[]; supportedInterfaces: { url: string }[] };
    expect(card.name).toBe('Relay');
    expect(card.skills.map((skill) => skill.id).sort()).toEqual([
      'echo',
      'get-sum',
      'trigger-long-running-operation',
    ]);
    expect(card.supportedInterfaces[0]!.url).toBe(`${outer.url}/agents/relay`);
  });

  it('runs the tool through both gateways, and each audit shows its part of the chain', async () => {
    const task = asTask(
      await client.sendMessage(
        sdkSend(dataMessage({ tool: 'get-sum', arguments: { a: 20, b: 22 } })),
      ),
    );
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const texts = task.artifacts.flatMap((artifact) =>
      artifact.parts.flatMap((part) =>
        part.content?.$case === 'text' ? [part.content.value] : [],
      ),
    );
    expect(texts.join(' ')).toContain('42');

    const outerEvents = await auditOf(outer, task.id);
    const delegated = outerEvents.find((event) => event.type === 'task.delegated');
    expect(delegated?.data).toMatchObject({
      cardUrl: `${inner.url}/agents/everything/.well-known/agent-card.json`,
      protocolVersion: '1.0',
    });
    const remoteTaskId = delegated!.data.remoteTaskId as string;
    expect(remoteTaskId).not.toBe(task.id);
    const innerEvents = await auditOf(inner, remoteTaskId);
    expect(innerEvents.map((event) => event.type)).toContain('task.artifact_appended');
    expect(innerEvents.at(-1)).toMatchObject({
      type: 'task.status_changed',
      data: { status: { state: 'TASK_STATE_COMPLETED' } },
    });
  });

  it('cancelling the outer task cancels the inner one: the cancel goes up the chain', async () => {
    const started = dataMessage({
      tool: 'trigger-long-running-operation',
      arguments: { duration: 60, steps: 60 },
    });
    let taskId = '';
    // Follow the outer task until the tool's progress arrives through both gateways.
    for await (const event of client.sendMessageStream(sdkSend(started))) {
      if (event.payload?.$case === 'task') taskId = event.payload.value.id;
      if (event.payload?.$case === 'statusUpdate') {
        taskId ||= event.payload.value.taskId;
        const state = event.payload.value.status?.state;
        const text = event.payload.value.status?.message?.parts
          .map((part) => (part.content?.$case === 'text' ? part.content.value : ''))
          .join('');
        if (state === TaskState.TASK_STATE_WORKING && text?.includes('progress')) break;
      }
    }
    expect(taskId).not.toBe('');
    const remoteTaskId = (await auditOf(outer, taskId)).find(
      (event) => event.type === 'task.delegated',
    )?.data.remoteTaskId as string;
    expect(remoteTaskId).toBeTruthy();

    const canceled = await client.cancelTask({ id: taskId, tenant: '', metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await eventually(async () => {
      const events = await auditOf(inner, remoteTaskId);
      return events.some(
        (event) =>
          event.type === 'task.status_changed' &&
          (event.data.status as { state: string }).state === 'TASK_STATE_CANCELED',
      );
    }, 20_000);
  });
});
