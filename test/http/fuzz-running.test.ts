import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A2A_ERROR_CODES } from '../../src/a2a/index.js';
import type { StoredEvent } from '../../src/events/index.js';
import { A2A_METHODS, MAX_BODY_DEPTH, TaskSchema } from '../../src/protocol/index.js';
import { foldAll, toTask } from '../../src/tasks/index.js';
import { junk, MEMBER_NAMES, mutatedParams, nastyString, toBody } from '../support/fuzz.js';
import {
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';

// Thousands of malformed requests against one running gateway over real HTTP, mixed by
// fast-check from a fixed seed (FUZZ_SEED, FUZZ_RUNS explore further): the gateway must
// answer each with a precise JSON-RPC error (or a result, for what happens to be valid), never
// 5xx or -32603, hold its memory roughly flat, and leave no partial task in the store.

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
// A whole round first: V8 committing heap, JIT, malloc arenas and PGlite's cache grow in it
// and then stay (measured on Node 24: native +105 MB in the first round, +24 and +1.5 MB in the
// next two); a leak grows in every round.
const WARM_UP_RUNS = RUNS;
/** Small, so bodies just under and just over it are cheap to send. */
const MAX_BODY_BYTES = 16 * 1024;
const MiB = 1024 * 1024;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Every code the gateway may answer with, Internal error (-32603) not among them. */
const PRECISE_CODES = new Set<number>(
  Object.values(A2A_ERROR_CODES).filter((code) => code !== A2A_ERROR_CODES.INTERNAL_ERROR),
);

interface FuzzRequest {
  kind: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** What the answer must be, when the input decides it. */
  expect?: { status?: number; code?: number; codes?: number[] };
}

const path = fc.constantFrom('/agents/echo', '/', '/acme/agents/echo', '/agents/text-only');
const version = fc.constantFrom<Record<string, string>>({ 'a2a-version': '1.0' }, {});
const method = fc.oneof(
  fc.constantFrom(...A2A_METHODS, 'message/send', 'message/stream', 'tasks/get'),
  nastyString,
);

const request = (
  kind: string,
  body: fc.Arbitrary<string | Buffer>,
  expected?: FuzzRequest['expect'],
): fc.Arbitrary<FuzzRequest> =>
  fc.record({ path, version, body }).map(({ path, version, body }) => ({
    kind,
    path,
    headers: { 'content-type': 'application/json', ...version },
    body,
    ...(expected ? { expect: expected } : {}),
  }));

/** Bytes of any kind: invalid UTF-8, control bytes, truncated JSON. */
const randomBytes = fc
  .oneof(
    fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
    fc
      .tuple(
        fc.constantFrom('{"jsonrpc":"2.0","method":', '[{"id":1,', '{"params":{"message":'),
        fc.uint8Array({ maxLength: 50 }),
      )
      .map(([start, tail]) => Buffer.concat([Buffer.from(start), Buffer.from(tail)])),
  )
  .chain((body) =>
    request('random bytes', fc.constant(body), {
      // Text that parses (a bare number) is a request of the wrong shape instead.
      codes: [A2A_ERROR_CODES.PARSE_ERROR, A2A_ERROR_CODES.INVALID_REQUEST],
    }),
  );

/** Nesting past the depth limit, anywhere in the body. */
const deepNesting = fc
  .record({
    depth: fc.integer({ min: MAX_BODY_DEPTH + 1, max: 3_000 }),
    arrays: fc.boolean(),
    at: fc.constantFrom('root', 'params', 'metadata', 'part'),
  })
  .chain(({ depth, arrays, at }) => {
    const deep = arrays
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const envelope = (params: string) =>
      `{"jsonrpc":"2.0","id":"deep","method":"SendMessage","params":${params}}`;
    const message = (inside: string) =>
      `{"message":{"messageId":"m","role":"ROLE_USER","parts":[${inside}]}}`;
    const body =
      at === 'root'
        ? deep
        : at === 'params'
          ? envelope(deep)
          : at === 'metadata'
            ? envelope(
                `{"message":{"messageId":"m","role":"ROLE_USER","parts":[{"text":"x"}]},"metadata":${deep}}`,
              )
            : envelope(message(`{"data":${deep}}`));
    const tooLarge = Buffer.byteLength(body) > MAX_BODY_BYTES;
    return request(
      'deep nesting',
      fc.constant(body),
      tooLarge
        ? { status: 413, code: A2A_ERROR_CODES.INVALID_REQUEST }
        : { status: 200, code: A2A_ERROR_CODES.INVALID_REQUEST },
    );
  });

/** A body exactly `delta` bytes from the limit, padded with characters of 1 to 4 bytes. */
const nearLimit = fc
  .record({
    delta: fc.integer({ min: -64, max: 64 }),
    unit: fc.constantFrom('x', 'é', '€', '😀'),
  })
  .chain(({ delta, unit }) => {
    const target = MAX_BODY_BYTES + delta;
    const frame = (pad: string) =>
      JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'GetTask', params: { id: pad } });
    const room = target - Buffer.byteLength(frame(''));
    const units = Math.floor(room / Buffer.byteLength(unit));
    const pad = unit.repeat(units) + 'x'.repeat(room - units * Buffer.byteLength(unit));
    const body = frame(pad);
    if (Buffer.byteLength(body) !== target) throw new Error(`padded to the wrong size: ${unit}`);
    return request(
      `body ${delta >= 0 ? '+' : ''}${delta} bytes from the limit`,
      fc.constant(body),
      delta > 0 ? { status: 413, code: A2A_ERROR_CODES.INVALID_REQUEST } : { status: 200 },
    );
  });

/** Envelopes and params with fields of the wrong type, from valid templates. */
const wrongTypes = request(
  'wrong types',
  fc.oneof(
    fc
      .record(
        { jsonrpc: fc.oneof(fc.constant('2.0'), junk), id: junk, method, params: junk },
        { requiredKeys: [] },
      )
      .map(toBody),
    fc
      .tuple(
        method,
        mutatedParams({
          message: {
            messageId: 'fuzz',
            role: 'ROLE_USER',
            parts: [{ text: 'hi' }, { data: { k: [1] } }],
            metadata: { k: 'v' },
          },
          configuration: { historyLength: 1, acceptedOutputModes: ['text/plain'] },
        }),
      )
      .map(([name, params]) => toBody({ jsonrpc: '2.0', id: 1, method: name, params })),
  ),
);

/** Text where JavaScript, JSON, PostgreSQL and terminals disagree. */
const edgeText = fc.oneof(
  fc.constantFrom(
    '\ud800',
    'a\udfffb',
    '\u0000',
    'nul\u0000inside',
    '\u202eevil\u202c',
    '\u200f\u05e9\u05dc\u05d5\u05dd',
    '😀',
    '👩‍👩‍👧‍👦',
    '\ufeff',
    'e\u0301',
    '\u2028\u2029',
    '\uffff',
    '𝕳',
  ),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const CESU_SURROGATE: Record<number, number> = { 1: 0xed, 2: 0xa0, 3: 0x80 };
const unicodeEdges = fc
  .record({
    text: edgeText,
    where: fc.constantFrom(
      'text',
      'messageId',
      'contextId',
      'metadataKey',
      'method',
      'id',
      'tenant',
    ),
    rawBytes: fc.boolean(),
  })
  .chain(({ text, where, rawBytes }) => {
    const message = {
      messageId: where === 'messageId' ? text : 'm',
      role: 'ROLE_USER',
      parts: [{ text: where === 'text' ? text : 'hi' }],
      ...(where === 'contextId' ? { contextId: text } : {}),
      ...(where === 'metadataKey' ? { metadata: { [text]: text } } : {}),
    };
    const body = toBody({
      jsonrpc: '2.0',
      id: where === 'id' ? text : 'u',
      method: where === 'method' ? text : 'SendMessage',
      params: { message, ...(where === 'tenant' ? { tenant: text } : {}) },
    });
    // A lone surrogate as raw bytes (CESU-8), which no JSON escape produces.
    // JSON.stringify escapes every control character: raw bytes 1 to 3 are only these.
    const bytes = rawBytes
      ? Buffer.from(body.replace(/"hi"|"m"|"u"/, '"\u0001\u0002\u0003"')).map(
          (byte) => CESU_SURROGATE[byte] ?? byte,
        )
      : Buffer.from(body);
    return request('unicode edge cases', fc.constant(Buffer.from(bytes)));
  });

/** Keys that would reach Object.prototype through a careless merge. */
const pollution = fc
  .record({
    key: fc.constantFrom('__proto__', 'constructor', 'prototype', ...MEMBER_NAMES),
    at: fc.constantFrom('root', 'params', 'message', 'metadata', 'part', 'configuration'),
  })
  .chain(({ key, at }) => {
    const payload =
      key === 'constructor' ? '{"prototype":{"polluted":"yes"}}' : '{"polluted":"yes"}';
    const entry = `"${key}":${payload}`;
    const part = at === 'part' ? `{"text":"hi",${entry}}` : '{"text":"hi"}';
    const message = `{"messageId":"p","role":"ROLE_USER","parts":[${part}]${at === 'message' ? `,${entry}` : ''}${at === 'metadata' ? `,"metadata":{${entry}}` : ''}}`;
    const params = `{"message":${message}${at === 'params' ? `,${entry}` : ''}${at === 'configuration' ? `,"configuration":{${entry}}` : ''}}`;
    const body = `{"jsonrpc":"2.0","id":"p","method":"SendMessage","params":${params}${at === 'root' ? `,${entry}` : ''}}`;
    return request('prototype pollution keys', fc.constant(body));
  });

const fuzzRequest = fc.oneof(
  { weight: 3, arbitrary: randomBytes },
  { weight: 2, arbitrary: deepNesting },
  { weight: 2, arbitrary: nearLimit },
  { weight: 4, arbitrary: wrongTypes },
  { weight: 3, arbitrary: unicodeEdges },
  { weight: 2, arbitrary: pollution },
);

describe('a running gateway under thousands of malformed requests', () => {
  let gateway: TestGateway;
  const seen = new Map<string, number>();
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    gateway = await startTestGateway({ env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  async function send(fuzz: FuzzRequest) {
    const kind = fuzz.kind.replace(/[-+]?\d+ bytes/, 'N bytes');
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
    const response = await fetch(`${gateway.url}${fuzz.path}`, {
      method: 'POST',
      headers: fuzz.headers,
      body: fuzz.body,
      signal: AbortSignal.timeout(15_000),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  }

  /** HTTP < 500, JSON-RPC 2.0 answers only, each error a code the gateway means. */
  function check(fuzz: FuzzRequest, reply: { status: number; type: string; text: string }) {
    const what = `${fuzz.kind}: ${reply.text.slice(0, 300)}`;
    expect(reply.status, what).toBeLessThan(500);
    if (fuzz.expect?.status) expect(reply.status, what).toBe(fuzz.expect.status);
    if (reply.status === 204) {
      expect(reply.text, what).toBe(''); // notifications only
      return;
    }
    const bodies: JsonBody[] = reply.type.includes('text/event-stream')
      ? reply.text
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => JSON.parse(line.slice(5)))
      : [JSON.parse(reply.text)].flat();
    expect(bodies.length, what).toBeGreaterThan(0);
    for (const body of bodies) {
      expect(body.jsonrpc, what).toBe('2.0');
      expect(body, what).toHaveProperty('id');
      expect('result' in body !== 'error' in body, what).toBe(true);
      if (!body.error) continue;
      expect(PRECISE_CODES.has(body.error.code), what).toBe(true);
      expect(typeof body.error.message === 'string' && body.error.message.length > 0, what).toBe(
        true,
      );
    }
    const code = bodies.length === 1 ? bodies[0].error?.code : undefined;
    if (fuzz.expect?.code !== undefined) expect(code, what).toBe(fuzz.expect.code);
    if (fuzz.expect?.codes) expect(fuzz.expect.codes, what).toContain(code);
  }

  const property = fc.asyncProperty(fuzzRequest, async (fuzz) => {
    check(fuzz, await send(fuzz));
  });

  function memory() {
    collectGarbage();
    collectGarbage();
    const { heapUsed, heapTotal, rss, external } = process.memoryUsage();
    // Live objects are `heapUsed`. Outside them, RSS also holds heap V8 has committed and keeps
    // after a GC (Node 24 doubled heapTotal here, heapUsed +2 MB) and the embedded PGlite's wasm
    // memory (`external`, grows with the store): neither is kept by a request. What is left is
    // native memory, where a leaked socket or parser would show.
    return { heapUsed, rss: rss - heapTotal - external };
  }

  it(`answers ${RUNS} of them precisely, memory flat (seed ${SEED})`, {
    timeout: 240_000,
  }, async () => {
    // A first round warms every path up: what grows after it is kept, not first use.
    await fc.assert(property, { seed: SEED + 1, numRuns: WARM_UP_RUNS, endOnFailure: true });
    const before = memory();
    await fc.assert(property, { seed: SEED, numRuns: RUNS, endOnFailure: true });
    const after = memory();
    // Generous bounds: a leak per request (2,000 of them, bodies up to 16 KiB) shows far above.
    expect((after.heapUsed - before.heapUsed) / MiB).toBeLessThan(48);
    expect((after.rss - before.rss) / MiB).toBeLessThan(192);
    // Every class of input was sent, many times.
    for (const kind of [
      'random bytes',
      'deep nesting',
      'wrong types',
      'unicode edge cases',
      'prototype pollution keys',
    ])
      expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(RUNS / 40);
    expect(seen.get('body N bytes from the limit') ?? 0).toBeGreaterThan(RUNS / 40);
  });

  it('pollutes no prototype and still answers an ordinary SendMessage', async () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    const { status, body } = await rpc(`${gateway.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 'ordinary',
      method: 'SendMessage',
      params: { message: userMessage('still here') },
    });
    expect(status).toBe(200);
    expect(body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('leaves only whole tasks in the store: every task stream folds to a valid task', async () => {
    const streams = new Map<string, StoredEvent[]>();
    for (let after: number | null = 0; after !== null; ) {
      const page = await gateway.gateway.store.readAll({ after, limit: 1_000 });
      for (const event of page.events)
        if (event.streamId.startsWith('task-'))
          streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), event]);
      after = page.next;
    }
    expect(streams.size).toBeGreaterThan(0);
    for (const [streamId, events] of streams) {
      expect(events[0]!.type, streamId).toBe('task.submitted');
      expect(
        events.map((event) => event.streamVersion),
        streamId,
      ).toEqual(events.map((_, index) => index + 1));
      const task = foldAll(undefined, events)!;
      expect(`task-${task.id}`).toBe(streamId);
      const parsed = TaskSchema.safeParse(toTask(task));
      expect(parsed.success, `${streamId}: ${parsed.error?.message}`).toBe(true);
    }
  });
});
