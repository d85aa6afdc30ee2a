import { describe, expect, it } from 'vitest';
import { SSE_JS } from '../../src/ui/client/sse.js';

interface SseEvent {
  id: string;
  event: string;
  data: string;
}

// The browser module as served, loaded as a module here: it imports nothing.
const { readSse } = (await import(
  `data:text/javascript;base64,${Buffer.from(SSE_JS).toString('base64')}`
)) as { readSse: (body: ReadableStream<Uint8Array>) => AsyncIterable<SseEvent> };

/** A body that delivers `chunks` one by one, as a network would. */
function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function read(chunks: string[]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(body(chunks))) events.push(event);
  return events;
}

describe('the dashboard SSE reader (/ui/sse.js)', () => {
  it('reads events with ids, skipping comments (heartbeats)', async () => {
    expect(
      await read([': heartbeat\n\nid: 7\ndata: {"a":1}\n\n: hb\n\nid: 9\ndata: x\n\n']),
    ).toEqual([
      { id: '7', event: 'message', data: '{"a":1}' },
      { id: '9', event: 'message', data: 'x' },
    ]);
  });

  it('joins data lines, names events and takes CR, LF and CRLF as line ends', async () => {
    expect(await read(['event: update\r\ndata: one\rdata:two\n\r\n'])).toEqual([
      { id: '', event: 'update', data: 'one\ntwo' },
    ]);
  });

  it('reads events split anywhere across chunks, a CRLF included', async () => {
    const text = 'id: 1\r\ndata: héllo\r\n\r\nid: 2\r\ndata: world\r\n\r\n';
    const bytes = Buffer.from(text);
    // Every split point, through the middle of the two-byte é and between CR and LF.
    for (let at = 1; at < bytes.length; at++) {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(bytes.subarray(0, at)));
          controller.enqueue(new Uint8Array(bytes.subarray(at)));
          controller.close();
        },
      });
      const events: SseEvent[] = [];
      for await (const event of readSse(stream)) events.push(event);
      expect(events, `split at byte ${at}`).toEqual([
        { id: '1', event: 'message', data: 'héllo' },
        { id: '2', event: 'message', data: 'world' },
      ]);
    }
  });

  it('drops an event the stream ended before finishing, and one without data', async () => {
    expect(await read(['id: 3\n\ndata: done\n\ndata: cut off'])).toEqual([
      { id: '3', event: 'message', data: 'done' },
    ]);
  });
});
