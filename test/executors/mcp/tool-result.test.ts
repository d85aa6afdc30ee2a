import { describe, expect, it } from 'vitest';
import { errorText, resultParts } from '../../../src/executors/mcp/tool-result.js';

describe('a tool result as parts', () => {
  it('maps each kind of content, and adds structured content as one data part', () => {
    const parts = resultParts({
      content: [
        { type: 'text', text: 'hello' },
        { type: 'image', data: 'iVBO\nRw0K', mimeType: 'image/png' },
        { type: 'audio', data: 'UklGRg==', mimeType: 'audio/wav' },
        {
          type: 'resource',
          resource: { uri: 'file:///reports/q1%20final.txt', mimeType: 'text/plain', text: 'Q1' },
        },
        { type: 'resource', resource: { uri: 'demo://blobs/7', blob: 'AAEC' } },
        {
          type: 'resource_link',
          uri: 'https://example.com/files/data.csv',
          name: 'data',
          description: 'the data',
          mimeType: 'text/csv',
        },
      ],
      structuredContent: { total: 3 },
    });
    expect(parts).toEqual([
      { text: 'hello' },
      { raw: 'iVBORw0K', mediaType: 'image/png' },
      { raw: 'UklGRg==', mediaType: 'audio/wav' },
      {
        text: 'Q1',
        mediaType: 'text/plain',
        filename: 'q1 final.txt',
        metadata: { uri: 'file:///reports/q1%20final.txt' },
      },
      { raw: 'AAEC', filename: '7', metadata: { uri: 'demo://blobs/7' } },
      {
        url: 'https://example.com/files/data.csv',
        mediaType: 'text/csv',
        filename: 'data.csv',
        metadata: { name: 'data', description: 'the data' },
      },
      { data: { total: 3 }, mediaType: 'application/json' },
    ]);
  });

  it('replaces what the store cannot keep in text (U+0000, lone surrogates)', () => {
    expect(resultParts({ content: [{ type: 'text', text: 'a\u0000b\uD800c' }] })).toEqual([
      { text: 'a\uFFFDb\uFFFDc' },
    ]);
  });

  it("reads an error result's text, or says there was none", () => {
    expect(
      errorText({
        content: [
          { type: 'text', text: 'first line ' },
          { type: 'image', data: 'AA==', mimeType: 'image/png' },
          { type: 'text', text: 'second line' },
        ],
        isError: true,
      }),
    ).toBe('first line\nsecond line');
    expect(errorText({ content: [], isError: true })).toBe(
      'the tool reported an error and gave no text',
    );
  });
});
