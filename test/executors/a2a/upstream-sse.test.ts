import { describe, expect, it } from 'vitest';
import {
  type UpstreamError,
  UpstreamInvalidResponseError,
} from '../../../src/executors/a2a/upstream-errors.js';
import { readUpstreamSse } from '../../../src/executors/a2a/upstream-sse.js';
import type { StreamResponse } from '../../../src/protocol/index.js';

const URL = 'http://up.example/card.json';

/** A body the test writes to, chunk by chunk. */
function body() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
    },
  });
  const encoder = new TextEncoder();
  return {
    stream,
    write: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
    fail: (error: Error) => controller.error(error),
  };
}

const decode = (data: string, isErrorEvent: boolean): StreamResponse => {
  const parsed = JSON.parse(data);
  if (isErrorEvent || parsed.bad) throw new UpstreamInvalidResponseError(URL, 'bad event');
  return { statusUpdate: { taskId: 't', contextId: 'c', status: { state: parsed.state } } };
};

const stateOf = (item: { kind: string; event?: StreamResponse }) =>
  item.event?.statusUpdate?.status.state;

describe('reading an upstream SSE stream', () => {
  it('decodes events however the bytes are split, reads ahead, and ends', async () => {
    const { stream, write, end } = body();
    const seen: StreamResponse[] = [];
    const events = readUpstreamSse(stream, {
      upstream: URL,
      idleMs: 10_000,
      decode,
      onEvent: (e) => seen.push(e),
    });
    write('data: {"state":"TASK_STATE_WO');
    write('RKING"}\n\n: heartbeat\n\ndata: {"state":"TASK_STATE_COMPLETED"}\n\n');
    expect(stateOf(await events.next())).toBe('TASK_STATE_WORKING');
    expect(events.buffered).toBe(1);
    expect(stateOf(await events.next())).toBe('TASK_STATE_COMPLETED');
    end();
    expect(await events.next()).toEqual({ kind: 'end' });
    expect(await events.next()).toEqual({ kind: 'end' });
    expect(seen).toHaveLength(2);
  });

  it('garbage ends the stream as an error, reported as a failure', async () => {
    const { stream, write } = body();
    const failures: UpstreamError[] = [];
    const events = readUpstreamSse(stream, {
      upstream: URL,
      idleMs: 10_000,
      decode,
      onFailure: (error) => failures.push(error),
    });
    write('data: {"bad":true}\n\n');
    const item = await events.next();
    expect(item.kind).toBe('error');
    expect(failures).toHaveLength(1);
  });

  it('a broken connection is a drop, naming the cause', async () => {
    const { stream, write, fail } = body();
    const events = readUpstreamSse(stream, { upstream: URL, idleMs: 10_000, decode });
    write(': hello\n\n');
    fail(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    const item = await events.next();
    expect(item).toMatchObject({ kind: 'dropped' });
    expect(item.kind === 'dropped' && item.error.message).toBe(
      `upstream ${URL} unavailable: its stream broke: UND_ERR_SOCKET: other side closed`,
    );
  });

  it('silence longer than the idle limit is a drop', async () => {
    const { stream } = body();
    const events = readUpstreamSse(stream, { upstream: URL, idleMs: 100, decode });
    const item = await events.next();
    expect(item.kind === 'dropped' && item.error.message).toBe(
      `upstream ${URL} unavailable: its stream sent nothing (no event, no heartbeat) for 100 ms`,
    );
  });
});
