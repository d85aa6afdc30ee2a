import { fileURLToPath } from 'node:url';
import { TaskState } from '@a2a-js/sdk';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/collect.js';
import { asTask, sdkSend } from '../../support/sdk.js';
import {
  artifactTexts,
  type McpGateway,
  mcpAgent,
  startMcpGateway,
  statusText,
  toolMessage,
} from './everything.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../fixtures/mcp/${name}`, import.meta.url));

describe('MCP agents on small fixture servers', () => {
  let mcp: McpGateway;

  beforeAll(async () => {
    const node = (script: string) => ({
      transport: 'stdio',
      command: process.execPath,
      args: [fixture(script)],
    });
    mcp = await startMcpGateway({
      growing: mcpAgent('growing', { server: node('growing-tools.mjs') }),
      cancellable: mcpAgent('cancellable', { server: node('cancellable.mjs') }),
    });
  }, 60_000);
  afterAll(async () => {
    await mcp?.stop();
  });

  const skillIds = async () => {
    const { body } = await mcp.cardOf('growing');
    return body.skills.map((skill: { id: string }) => skill.id);
  };

  it('follows tools/list_changed: the card gains the new skill, and the new tool answers', async () => {
    expect(await skillIds()).toEqual(['grow']);
    const before = (await mcp.cardOf('growing')).body;
    const client = await mcp.client('growing');
    const grown = asTask(await client.sendMessage(sdkSend(toolMessage('grow', {}))));
    expect(artifactTexts(grown)).toEqual(['added extra-1']);

    await eventually(async () => (await skillIds()).includes('extra-1'), 20_000);
    const after = (await mcp.cardOf('growing')).body;
    expect(Object.keys(after.capabilities.extensions[0].params.tools)).toEqual(['grow', 'extra-1']);
    expect(before.capabilities.extensions[0].params.tools['extra-1']).toBeUndefined();

    const extra = asTask(await client.sendMessage(sdkSend(toolMessage('extra-1', {}))));
    expect(extra.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(extra)).toEqual(['extra-1 was called']);
  });

  it("tells the gateway's own MCP sessions when the agent's tools change (tools/list_changed)", async () => {
    const host = new McpClient({ name: 'list-changed-test', version: '1.0.0' });
    let told = 0;
    host.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      told += 1;
    });
    await host.connect(new StreamableHTTPClientTransport(new URL(`${mcp.gateway.url}/mcp`)));
    try {
      const descriptionOf = async () =>
        (await host.listTools()).tools.find((tool) => tool.name === 'send_to_growing')
          ?.description ?? '';
      const grown = await host.callTool({
        name: 'send_to_growing',
        arguments: { text: '', data: { tool: 'grow', arguments: {} } },
      });
      expect(grown.isError).toBeFalsy();
      await eventually(() => told > 0, 20_000);
      // Asked again, the tool describes the agent's card as it is now.
      expect(await descriptionOf()).toContain('extra-');
    } finally {
      await host.close();
    }
  });

  it('tells the server when a task is canceled (notifications/cancelled)', async () => {
    const client = await mcp.client('cancellable');
    let taskId: string | undefined;
    for await (const event of client.sendMessageStream(sdkSend(toolMessage('wait', {})))) {
      if (event.payload?.$case === 'task') taskId = event.payload.value.id;
      if (event.payload?.$case === 'statusUpdate') {
        expect(statusText(event.payload.value)).toBe('progress 0: waiting');
        break;
      }
    }
    const canceled = await client.cancelTask({ id: taskId!, tenant: '', metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await eventually(async () => {
      const count = asTask(await client.sendMessage(sdkSend(toolMessage('cancellations', {}))));
      return artifactTexts(count)[0] === '1';
    }, 20_000);
  });
});
