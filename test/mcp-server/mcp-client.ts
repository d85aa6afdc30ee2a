import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { JsonBody } from '../support/gateway.js';

/**
 * An MCP client on a gateway's `/mcp`, sending `headers` (credentials) with every request:
 * given as a function, each request sends what it returns then.
 */
export async function connectMcp(
  gatewayUrl: string,
  headers: Record<string, string> | (() => Record<string, string>) = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const current = typeof headers === 'function' ? headers : () => headers;
  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp`), {
    fetch: (url, init) => {
      const merged = new Headers(init?.headers);
      for (const [name, value] of Object.entries(current())) merged.set(name, value);
      return fetch(url, { ...init, headers: merged });
    },
  });
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** A tool result as the tests read it: its text, whether it is an error, its structure. */
export function read(result: Awaited<ReturnType<Client['callTool']>>): {
  text: string;
  isError: boolean;
  structured: JsonBody;
} {
  const { content, isError, structuredContent } = result as CallToolResult;
  return {
    text: content.map((item) => (item.type === 'text' ? item.text : '')).join('\n'),
    isError: isError === true,
    structured: structuredContent,
  };
}
