import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/executors/mcp/backoff.js';
import { exposedTools, toolsCard, toolsDigest } from '../../../src/executors/mcp/tool-card.js';

const search: Tool = {
  name: 'search',
  description: 'Searches the catalogue.',
  inputSchema: {
    type: 'object',
    properties: {
      query: { type: 'string' },
      site: { type: 'string', format: 'uri' },
      kind: { type: 'string', enum: ['book', 'film'] },
      limit: { type: 'integer', minimum: 1 },
      exact: { type: 'boolean', default: true },
      filters: {
        type: 'object',
        properties: { year: { type: ['null', 'integer'] } },
        required: ['year'],
      },
      optional: { type: 'string' },
    },
    required: ['query', 'site', 'kind', 'limit', 'exact', 'filters'],
  },
};
const background: Tool = {
  name: 'background',
  inputSchema: { type: 'object' },
  execution: { taskSupport: 'required' },
};

describe('tools as card content', () => {
  it('builds an example call from the required properties, each of its type', () => {
    const [skill] = toolsCard({ tools: [search] }, 'node server.js').skills;
    expect(skill).toMatchObject({
      id: 'search',
      name: 'search',
      description: 'Searches the catalogue.',
      tags: ['mcp', 'search'],
    });
    expect(JSON.parse(skill!.examples![0]!)).toEqual({
      tool: 'search',
      arguments: {
        query: '<query>',
        site: 'https://example.com/',
        kind: 'book',
        limit: 1,
        exact: true,
        filters: { year: 0 },
      },
    });
  });

  it('leaves out the tools the file does not name and those only MCP tasks can run', () => {
    expect(exposedTools([search, background]).map((tool) => tool.name)).toEqual(['search']);
    expect(exposedTools([search, background], ['background'])).toEqual([]);
  });

  it('takes name, version and description from the server, and records where it came from', () => {
    const content = toolsCard(
      {
        tools: [search],
        server: { name: 'catalogue', title: 'The Catalogue', version: '1.2.3' },
        instructions: '# Catalogue\n\nUse search first.',
      },
      'https://mcp.example.com/mcp',
    );
    expect(content).toMatchObject({
      name: 'The Catalogue',
      version: '1.2.3',
      description: 'Catalogue',
      defaultInputModes: ['application/json', 'text/plain'],
      source: { kind: 'mcp', origin: 'https://mcp.example.com/mcp', version: '1.2.3' },
    });
    expect(content.extensions?.[0]?.params).toEqual({ tools: { search: search.inputSchema } });
  });

  it('digests the tool list so that key order is no change, but a new tool is', () => {
    expect(toolsDigest([keysReversed(search) as Tool])).toBe(toolsDigest([search]));
    expect(toolsDigest([search, background])).not.toBe(toolsDigest([search]));
    expect(toolsDigest([search])).toMatch(/^[0-9a-f]{64}$/);
  });
});

function keysReversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keysReversed);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, inner]) => [key, keysReversed(inner)]),
  );
}

describe('reconnect backoff', () => {
  const settings = { initialDelayMs: 500, maxDelayMs: 30_000 };

  it('doubles from the initial delay up to the maximum, jittered into its upper half', () => {
    expect([1, 2, 3].map((retry) => backoffDelay(retry, settings, () => 1))).toEqual([
      500, 1_000, 2_000,
    ]);
    expect(backoffDelay(1, settings, () => 0)).toBe(250);
    expect(backoffDelay(50, settings, () => 1)).toBe(30_000);
    expect(backoffDelay(50, settings, () => 0)).toBe(15_000);
  });
});
