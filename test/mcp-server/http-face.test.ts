import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCardContent } from '../../src/a2a/index.js';
import { eventually } from '../support/collect.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { connectMcp, read } from './mcp-client.js';

describe('the MCP face over Streamable HTTP (no authentication, on loopback)', {
  timeout: 60_000,
}, () => {
  let gateway: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gateway = await startTestGateway();
    ({ client } = await connectMcp(gateway.url));
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
  });

  const call = async (name: string, args: Record<string, unknown>) =>
    read(await client.callTool({ name, arguments: args }));

  /** The state a task reaches, read with get_task until it gets there. */
  const reaches = (taskId: string, state: string) =>
    eventually(
      async () => (await call('get_task', { taskId })).structured.status.state === state,
      30_000,
    );

  it('lists a send tool per hosted agent, described from its card, and the task tools', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(
      [
        'cancel_task',
        'get_task',
        'get_task_audit',
        'list_tasks',
        'send_to_echo',
        'send_to_fragile',
        'send_to_hasty',
        'send_to_text_only',
      ].sort(),
    );
    const echo = tools.find((tool) => tool.name === 'send_to_echo')!;
    expect(echo.description).toContain('A deterministic demo agent hosted by the gateway');
    expect(echo.description).toContain('- Echo: Completes the task');
    expect(echo.description).toContain('"/stream 5"');
    expect(echo.inputSchema).toMatchObject({
      type: 'object',
      required: ['text'],
      properties: { text: { type: 'string' }, taskId: { type: 'string' } },
    });
  });

  it('sends through the echo tool and answers with the completed task', async () => {
    const result = await call('send_to_echo', { text: 'hello over MCP' });
    expect(result.isError).toBe(false);
    expect(result.text).toBe('hello over MCP');
    expect(result.structured.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(result.structured.task.artifacts[0].parts).toEqual([{ text: 'hello over MCP' }]);
    expect(result.structured.task.history[0].parts).toEqual([{ text: 'hello over MCP' }]);
  });

  it('sends structured data as a data part beside the text', async () => {
    const result = await call('send_to_echo', { text: 'with data', data: { count: 2 } });
    expect(result.structured.task.artifacts[0].parts).toEqual([
      { text: 'with data' },
      { data: { count: 2 }, mediaType: 'application/json' },
    ]);
    expect(result.text).toBe('with data\n{"count":2}');
  });

  it("answers an agent's direct reply with that message", async () => {
    const result = await call('send_to_echo', { text: '/reply straight back' });
    expect(result.isError).toBe(false);
    expect(result.text).toBe('straight back');
    expect(result.structured.message.role).toBe('ROLE_AGENT');
  });

  it('reports each status and artifact update as progress when the call asks for it', async () => {
    const progress: { progress: number; message?: string }[] = [];
    const result = read(
      await client.callTool({ name: 'send_to_echo', arguments: { text: '/stream 5' } }, undefined, {
        onprogress: (update) => progress.push(update),
      }),
    );
    expect(result.structured.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(result.text).toBe(
      ['chunk 1/5', 'chunk 2/5', 'chunk 3/5', 'chunk 4/5', 'chunk 5/5'].join('\n'),
    );
    const messages = progress.map((update) => update.message);
    expect(messages[0]).toMatch(new RegExp(`^task ${result.structured.task.id}: `));
    for (let i = 1; i <= 5; i++)
      expect(messages).toContain(
        `artifact echo-${result.structured.task.history[0].messageId}: chunk ${i}/5`,
      );
    expect(messages.at(-1)).toBe('completed');
    const numbers = progress.map((update) => update.progress);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('a failed or rejected task is a tool error naming its state and what the agent said', async () => {
    const failed = await call('send_to_echo', { text: '/fail' });
    expect(failed.isError).toBe(true);
    expect(failed.text).toMatch(/^Task \S+ failed: failed on request \(\/fail\)$/);
    expect(failed.structured.task.status.state).toBe('TASK_STATE_FAILED');
    const rejected = await call('send_to_echo', { text: '/reject' });
    expect(rejected.isError).toBe(true);
    expect(rejected.text).toMatch(/rejected: rejected on request \(\/reject\)$/);
  });

  it('a task that asks for input says its id; the same tool with taskId continues it', async () => {
    const asked = await call('send_to_echo', { text: '/input' });
    const taskId = asked.structured.task.id;
    expect(asked.isError).toBe(false);
    expect(asked.structured.task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    expect(asked.text).toContain('input-required: What should I echo?');
    expect(asked.text).toContain(`call send_to_echo again with taskId "${taskId}"`);

    const continued = await call('send_to_echo', { text: 'the answer', taskId });
    expect(continued.isError).toBe(false);
    expect(continued.structured.task.id).toBe(taskId);
    expect(continued.structured.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(continued.text).toBe('the answer');
  });

  it('get_task, list_tasks and get_task_audit show a task as A2A and the audit routes do', async () => {
    const contextId = randomUUID();
    const sent = await call('send_to_echo', { text: 'remember me', contextId });
    const taskId = sent.structured.task.id;

    const got = await call('get_task', { taskId, historyLength: 1 });
    expect(got.isError).toBe(false);
    expect(got.structured).toMatchObject({
      id: taskId,
      contextId,
      status: { state: 'TASK_STATE_COMPLETED' },
    });
    expect(got.structured.history).toHaveLength(1);
    expect(got.text).toBe(`Task ${taskId} (context ${contextId}) is completed.\n\nremember me`);

    const listed = await call('list_tasks', { contextId, state: 'completed' });
    expect(listed.structured.tasks.map((task: { id: string }) => task.id)).toEqual([taskId]);
    expect(listed.structured.totalSize).toBe(1);
    expect(listed.text).toContain(`${taskId}  completed  context ${contextId}`);
    const none = await call('list_tasks', { contextId, state: 'TASK_STATE_FAILED' });
    expect(none.structured.tasks).toEqual([]);

    const audit = await call('get_task_audit', { taskId });
    expect(audit.isError).toBe(false);
    const fromRoute = (await (await fetch(`${gateway.url}/tasks/${taskId}/events`)).json()) as {
      events: unknown[];
    };
    expect(audit.structured).toEqual({ taskId, events: fromRoute.events });
    const types = audit.structured.events.map((event: { type: string }) => event.type);
    expect(types[0]).toBe('task.submitted');
    expect(types).toContain('task.artifact_appended');
    expect(audit.text).toMatch(/task\.status_changed {2}completed/);
  });

  it('cancel_task cancels a running task, and the send call waiting on it answers canceled', async () => {
    const contextId = randomUUID();
    const sending = call('send_to_echo', { text: '/sleep 60000', contextId });
    let taskId = '';
    await eventually(async () => {
      const [task] = (await call('list_tasks', { contextId, state: 'working' })).structured.tasks;
      taskId = task?.id ?? '';
      return taskId !== '';
    }, 30_000);

    const canceled = await call('cancel_task', { taskId });
    expect(canceled.isError).toBe(false);
    expect(canceled.structured.status.state).toBe('TASK_STATE_CANCELED');
    const sent = await sending;
    expect(sent.isError).toBe(false);
    expect(sent.text).toBe(`Task ${taskId} was canceled.`);
    const again = await call('cancel_task', { taskId });
    expect(again.isError).toBe(true);
    expect(again.text).toContain('canceled');
  });

  it('cancelling the MCP request (notifications/cancelled) cancels the A2A task', async () => {
    const abort = new AbortController();
    let taskId = '';
    const sending = client.callTool(
      { name: 'send_to_echo', arguments: { text: '/sleep 60000' } },
      undefined,
      {
        signal: abort.signal,
        onprogress: (update) => {
          taskId ||= /^task (\S+):/.exec(update.message ?? '')?.[1] ?? '';
          if (update.message?.startsWith('working')) abort.abort('the user changed their mind');
        },
      },
    );
    await expect(sending).rejects.toThrow();
    expect(taskId).not.toBe('');
    await reaches(taskId, 'TASK_STATE_CANCELED');
    const audit = await call('get_task_audit', { taskId });
    expect(audit.text).toMatch(/task\.status_changed {2}canceled/);
  });

  it('bad arguments and unknown tasks are tool errors; an unknown tool is a protocol error', async () => {
    const missing = await call('send_to_echo', {});
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/^invalid arguments for send_to_echo: text: /);
    const extra = await call('get_task', { taskId: 'x', colour: 'blue' });
    expect(extra.isError).toBe(true);
    expect(extra.text).toContain('colour');
    const state = await call('list_tasks', { state: 'sleeping' });
    expect(state.isError).toBe(true);
    expect(state.text).toContain('state');

    const unknown = await call('get_task', { taskId: 'no-such-task' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toBe('task no-such-task not found');
    expect(unknown.structured.error.code).toBe(-32001);
    const nul = await call('get_task_audit', { taskId: 'a\u0000b' });
    expect(nul.isError).toBe(true);

    const textOnly = await call('send_to_text_only', { text: 'x', data: { a: 1 } });
    expect(textOnly.isError).toBe(true);

    await expect(client.callTool({ name: 'send_to_nobody', arguments: {} })).rejects.toThrow(
      McpError,
    );
  });

  it('lists an agent whose card is unavailable, saying so; a call to it says why it cannot be made', async () => {
    const fragile = gateway.gateway.agents.find((agent) => agent.name === 'fragile')!;
    // What the composition root does for an agent whose MCP server or upstream is not reached.
    applyCardContent(fragile, undefined, () => 'its MCP server does not answer');
    const tool = (await client.listTools()).tools.find((t) => t.name === 'send_to_fragile')!;
    expect(tool.description).toContain('Unavailable right now: its MCP server does not answer.');
    const refused = await call('send_to_fragile', { text: 'anyone there?' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toBe('agent fragile is unavailable: its MCP server does not answer');
    expect(refused.structured.error.code).toBe(-31503);
  });

  it('answers 404 for a session that is not open, 400 without one; DELETE ends a session', async () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: {},
    };
    const post = (headers: Record<string, string>) =>
      fetch(`${gateway.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify(initialize),
      });
    expect((await post({ 'mcp-session-id': randomUUID() })).status).toBe(404);
    const raw = (body: string) =>
      fetch(`${gateway.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body,
      });
    const garbage = await raw('{"jsonrpc": "2.0", "method": ');
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { error: { code: number } }).error.code).toBe(-32700);
    expect((await raw('x'.repeat(2 * 1024 * 1024))).status).toBe(413);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await post({})).status).toBe(400);
    expect(
      (await fetch(`${gateway.url}/mcp`, { headers: { accept: 'text/event-stream' } })).status,
    ).toBe(400);

    const open = gateway.gateway.mcp.sessions();
    const other = await connectMcp(gateway.url);
    expect(gateway.gateway.mcp.sessions()).toBe(open + 1);
    await other.transport.terminateSession();
    expect(gateway.gateway.mcp.sessions()).toBe(open);
    await other.client.close();
  });
});
