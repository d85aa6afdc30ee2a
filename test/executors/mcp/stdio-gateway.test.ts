import { TaskState } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/collect.js';
import type { JsonBody } from '../../support/gateway.js';
import { asTask, sdkMessage, sdkSend } from '../../support/sdk.js';
import {
  artifactTexts,
  everythingOverStdio,
  type McpGateway,
  mcpAgent,
  startMcpGateway,
  statusText,
  toolMessage,
} from './everything.js';

describe('an MCP agent over stdio, through the gateway (server-everything)', () => {
  let mcp: McpGateway;
  let everything: Client;
  let echoOnly: Client;

  beforeAll(async () => {
    mcp = await startMcpGateway({
      everything: mcpAgent('everything', { server: everythingOverStdio() }),
      'echo-only': mcpAgent('echo-only', {
        server: everythingOverStdio(),
        tools: ['echo'],
        invalidArguments: 'reject',
      }),
    });
    everything = await mcp.client('everything');
    echoOnly = await mcp.client('echo-only');
  }, 60_000);
  afterAll(async () => {
    await mcp?.stop();
  });

  const send = async (client: Client, message: Parameters<typeof sdkSend>[0]) =>
    asTask(await client.sendMessage(sdkSend(message)));

  it('serves a card whose skills are the tools, with their schemas in the extension', async () => {
    const { status, body: card } = await mcp.cardOf('everything');
    expect(status).toBe(200);
    expect(card.name).toBe('Everything Reference Server');
    expect(card.version).toBe('2.0.0');
    expect(card.defaultInputModes).toEqual(['application/json', 'text/plain']);
    const ids = card.skills.map((skill: { id: string }) => skill.id);
    expect(ids).toEqual(
      expect.arrayContaining(['echo', 'get-sum', 'trigger-long-running-operation']),
    );
    // Only callable as an MCP task: not a skill a plain call could serve.
    expect(ids).not.toContain('simulate-research-query');
    const sum = card.skills.find((skill: { id: string }) => skill.id === 'get-sum');
    expect(sum).toMatchObject({
      name: 'Get Sum Tool',
      description: 'Returns the sum of two numbers',
      tags: ['mcp', 'get-sum'],
    });
    expect(JSON.parse(sum.examples[0])).toEqual({ tool: 'get-sum', arguments: { a: 0, b: 0 } });
    const extension = card.capabilities.extensions.find(
      (candidate: { uri: string }) => candidate.uri === 'urn:a2a-gateway:mcp-tools:v1',
    );
    expect(extension.params.tools['get-sum']).toMatchObject({
      type: 'object',
      required: ['a', 'b'],
      properties: { a: { type: 'number' }, b: { type: 'number' } },
    });
    expect(Object.keys(extension.params.tools).sort()).toEqual([...ids].sort());
  });

  it('filters the skills to the tools the file names, with a text example for a lone string tool', async () => {
    const { body: card } = await mcp.cardOf('echo-only');
    expect(card.skills).toHaveLength(1);
    expect(card.skills[0]).toMatchObject({ id: 'echo', name: 'Echo Tool' });
    expect(card.skills[0].examples).toEqual([
      JSON.stringify({ tool: 'echo', arguments: { message: '<message>' } }),
      '<message>',
    ]);
  });

  it('calls the echo tool from a data part; the artifact id comes from the message id', async () => {
    const message = toolMessage('echo', { message: 'hello mcp' });
    const task = await send(everything, message);
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(task)).toEqual(['Echo: hello mcp']);
    expect(task.artifacts[0]?.artifactId).toBe(`${message.messageId}-result`);
    expect(task.artifacts[0]?.name).toBe('echo');
  });

  it('calls the lone string tool with plain text', async () => {
    const task = await send(echoOnly, sdkMessage('just text'));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(task)).toEqual(['Echo: just text']);
  });

  it('adds two numbers with get-sum', async () => {
    const task = await send(everything, toolMessage('get-sum', { a: 2, b: 3.5 }));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(task)).toEqual(['The sum of 2 and 3.5 is 5.5.']);
  });

  it('turns structured content into a data part and an image into file bytes', async () => {
    const weather = await send(
      everything,
      toolMessage('get-structured-content', { location: 'Chicago' }),
    );
    const data = weather.artifacts[0]?.parts.find((part) => part.content?.$case === 'data');
    expect(data?.content?.value).toEqual({
      temperature: 36,
      conditions: 'Light rain / drizzle',
      humidity: 82,
    });
    const image = await send(everything, toolMessage('get-tiny-image', {}));
    const raw = image.artifacts[0]?.parts.find((part) => part.content?.$case === 'raw');
    expect(raw?.mediaType).toBe('image/png');
    const bytes = raw?.content?.value as Buffer;
    expect([...bytes.subarray(1, 4)].map((byte) => String.fromCharCode(byte)).join('')).toBe('PNG');
  });

  it('turns an embedded resource into a part with its media type and a resource link into a URL', async () => {
    const reference = await send(
      everything,
      toolMessage('get-resource-reference', { resourceType: 'Text', resourceId: 2 }),
    );
    const embedded = reference.artifacts[0]?.parts[1];
    expect(embedded?.mediaType).toBe('text/plain');
    expect(embedded?.filename).toBe('2');
    expect(embedded?.metadata).toEqual({ uri: 'demo://resource/dynamic/text/2' });
    expect(embedded?.content?.$case).toBe('text');
    const links = await send(everything, toolMessage('get-resource-links', { count: 2 }));
    const urls = links.artifacts[0]?.parts.flatMap((part) =>
      part.content?.$case === 'url' ? [part.content.value] : [],
    );
    expect(urls).toEqual(['demo://resource/dynamic/blob/1', 'demo://resource/dynamic/text/2']);
  });

  it("fails the task with the tool's own text when the result is an error", async () => {
    const task = await send(
      everything,
      toolMessage('get-resource-reference', { resourceType: 'Text', resourceId: 1.5 }),
    );
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(statusText(task)).toBe('Invalid resourceId: 1.5. Must be a finite positive integer.');
    expect(task.artifacts).toEqual([]);
  });

  it('asks for input naming the missing field, and a corrected follow-up completes the task', async () => {
    const first = await send(everything, toolMessage('get-sum', { a: 1 }));
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(statusText(first)).toContain('Invalid arguments for tool "get-sum"');
    expect(statusText(first)).toContain("must have required property 'b'");
    expect(statusText(first)).toContain('b (number, required)');
    const typed = await send(
      everything,
      toolMessage('get-sum', { a: 1, b: 'two' }, { taskId: first.id }),
    );
    expect(typed.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(statusText(typed)).toContain('arguments/b must be number');
    const fixed = await send(
      everything,
      toolMessage('get-sum', { a: 1, b: 2 }, { taskId: first.id }),
    );
    expect(fixed.id).toBe(first.id);
    expect(fixed.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(fixed)).toEqual(['The sum of 1 and 2 is 3.']);
  });

  it('names the tools when the tool is unknown, or when none is chosen', async () => {
    const unknown = await send(everything, toolMessage('no-such-tool', {}));
    expect(unknown.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(statusText(unknown)).toMatch(/^Unknown tool "no-such-tool"\. Tools: echo, .*get-sum/);
    const none = await send(everything, sdkMessage('add 1 and 2 please'));
    expect(none.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(statusText(none)).toContain('No tool chosen. Send a data part');
  });

  it('rejects invalid arguments when the agent file says reject', async () => {
    const task = await send(echoOnly, toolMessage('echo', { message: 42 }));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_REJECTED);
    expect(statusText(task)).toContain('arguments/message must be string');
  });

  it('streams progress notifications as working updates, then completes', async () => {
    const events: { state?: TaskState; text: string }[] = [];
    const stream = everything.sendMessageStream(
      sdkSend(toolMessage('trigger-long-running-operation', { duration: 1.2, steps: 4 })),
    );
    for await (const event of stream) {
      if (event.payload?.$case === 'statusUpdate') {
        const { status } = event.payload.value;
        events.push({ state: status?.state, text: statusText({ status }) });
      }
    }
    const progress = events.filter((event) => event.text.startsWith('progress '));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((event) => event.state === TaskState.TASK_STATE_WORKING)).toBe(true);
    expect(progress[0]?.text).toMatch(/^progress [1-4]\/4$/);
    expect(events.at(-1)?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('cancels a long tool call: the run ends at once and the task stays canceled', async () => {
    const stream = everything.sendMessageStream(
      sdkSend(toolMessage('trigger-long-running-operation', { duration: 600, steps: 1200 })),
    );
    let taskId: string | undefined;
    for await (const event of stream) {
      if (event.payload?.$case === 'task') taskId = event.payload.value.id;
      // Progress means the call is in flight at the server.
      if (event.payload?.$case === 'statusUpdate' && statusText(event.payload.value)) break;
    }
    expect(taskId).toBeDefined();
    const canceled = await everything.cancelTask({ id: taskId!, tenant: '', metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    // Ten minutes of work left at the server; the run is gone long before.
    await eventually(() => mcp.gateway.gateway.stats().runningTasks === 0, 20_000);
    const after = await everything.getTask({ id: taskId!, tenant: '', historyLength: undefined });
    expect(after.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    // The server still answers the next call: the cancel did not break the connection.
    const next = await send(everything, toolMessage('echo', { message: 'still here' }));
    expect(artifactTexts(next)).toEqual(['Echo: still here']);
  });

  it('reports the agent up in /healthz', async () => {
    const health: JsonBody = await (await fetch(`${mcp.gateway.url}/healthz`)).json();
    expect(health.agents.everything).toEqual({ status: 'up' });
    expect(health.agents['echo-only']).toEqual({ status: 'up' });
  });
});
