import { TaskState } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/collect.js';
import { type JsonBody, rpc, userMessage } from '../../support/gateway.js';
import { freePort } from '../../support/process.js';
import { asTask, sdkSend } from '../../support/sdk.js';
import {
  artifactTexts,
  type HttpServer,
  type McpGateway,
  mcpAgent,
  startEverythingOverHttp,
  startMcpGateway,
  statusText,
  toolMessage,
} from './everything.js';

describe('an MCP agent over Streamable HTTP, through the gateway (server-everything)', () => {
  const servers: HttpServer[] = [];
  let server: HttpServer;
  let unreachablePort: number;
  let mcp: McpGateway;
  let everything: Client;
  const reconnect = { initialDelayMs: 100, maxDelayMs: 400 };

  beforeAll(async () => {
    server = await startEverythingOverHttp();
    servers.push(server);
    unreachablePort = await freePort();
    mcp = await startMcpGateway({
      everything: mcpAgent('everything', {
        server: { transport: 'http', url: server.url, token: 'not-checked-by-everything' },
        reconnect,
      }),
      unreachable: mcpAgent('unreachable', {
        server: { transport: 'http', url: `http://127.0.0.1:${unreachablePort}/mcp?key=secret` },
        reconnect,
      }),
    });
    everything = await mcp.client('everything');
  }, 90_000);
  afterAll(async () => {
    await mcp?.stop();
    await Promise.all(servers.map((running) => running.stop()));
  });

  const health = async (): Promise<JsonBody> => {
    const body: JsonBody = await (await fetch(`${mcp.gateway.url}/healthz`)).json();
    return body.agents;
  };
  const rawSend = async (agent: string, message: unknown): Promise<JsonBody> =>
    (
      await rpc(`${mcp.gateway.url}/agents/${agent}`, {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message },
      })
    ).body.result.task;

  it('lists the tools as skills and calls one', async () => {
    const { status, body: card } = await mcp.cardOf('everything');
    expect(status).toBe(200);
    expect(card.skills.map((skill: { id: string }) => skill.id)).toContain('get-sum');
    const task = asTask(
      await everything.sendMessage(sdkSend(toolMessage('get-sum', { a: 40, b: 2 }))),
    );
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(task)).toEqual(['The sum of 40 and 2 is 42.']);
  });

  it('streams progress of a long operation as working updates', async () => {
    const texts: string[] = [];
    let last: TaskState | undefined;
    for await (const event of everything.sendMessageStream(
      sdkSend(toolMessage('trigger-long-running-operation', { duration: 1, steps: 3 })),
    )) {
      if (event.payload?.$case !== 'statusUpdate') continue;
      texts.push(statusText(event.payload.value));
      last = event.payload.value.status?.state;
    }
    expect(texts.some((text) => /^progress [1-3]\/3$/.test(text))).toBe(true);
    expect(last).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('starts although a server is unreachable, fails its tasks at once, and connects when it appears', async () => {
    const origin = `http://127.0.0.1:${unreachablePort}/mcp`;
    const before = (await health()).unreachable;
    expect(before.status).toBe('starting');
    // Between two attempts, or during one (the retry timer may just have fired).
    expect(before.detail).toMatch(
      /^not connected yet \((next attempt in [\d.]+ s|connecting now)\): .*ECONNREFUSED/,
    );
    expect((await mcp.cardOf('unreachable')).status).toBe(503);

    const task = await rawSend('unreachable', {
      ...userMessage(''),
      parts: [{ data: { tool: 'echo', arguments: { message: 'hi' } } }],
    });
    expect(task.status.state).toBe('TASK_STATE_FAILED');
    // The query (it may hold a key) is no part of the name errors show.
    expect(task.status.message.parts[0].text).toMatch(
      new RegExp(
        `^MCP server ${origin} is not connected \\((next attempt in [\\d.]+ s|connecting now)\\): .*ECONNREFUSED`,
      ),
    );

    servers.push(await startEverythingOverHttp(unreachablePort));
    await eventually(async () => (await health()).unreachable.status === 'up', 30_000);
    const { status, body: card } = await mcp.cardOf('unreachable');
    expect(status).toBe(200);
    expect(card.skills.map((skill: { id: string }) => skill.id)).toContain('echo');
    const later = await rawSend('unreachable', {
      ...userMessage(''),
      parts: [{ data: { tool: 'echo', arguments: { message: 'found you' } } }],
    });
    expect(later.status.state).toBe('TASK_STATE_COMPLETED');
    expect(later.artifacts[0].parts[0].text).toBe('Echo: found you');
  });

  it('fails the call in flight when the server goes away, and reconnects when it is back', async () => {
    const events = everything.sendMessageStream(
      sdkSend(toolMessage('trigger-long-running-operation', { duration: 600, steps: 1200 })),
    );
    let killed = false;
    let final: { state?: TaskState; text: string } | undefined;
    for await (const event of events) {
      if (event.payload?.$case !== 'statusUpdate') continue;
      const { status } = event.payload.value;
      if (!killed && statusText(event.payload.value).startsWith('progress')) {
        killed = true;
        await server.stop();
      }
      final = { state: status?.state, text: statusText(event.payload.value) };
    }
    expect(killed).toBe(true);
    expect(final?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(final?.text).toContain(`MCP server ${server.url} connection lost: `);
    expect((await health()).everything.status).not.toBe('up');

    server = await startEverythingOverHttp(server.port);
    servers.push(server);
    await eventually(async () => (await health()).everything.status === 'up', 30_000);
    const task = asTask(
      await everything.sendMessage(sdkSend(toolMessage('echo', { message: 'reconnected' }))),
    );
    expect(artifactTexts(task)).toEqual(['Echo: reconnected']);
  });
});
