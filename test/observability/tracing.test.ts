import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '../../src/observability/index.js';
import { eventually } from '../support/collect.js';
import {
  FIXTURE_AGENTS,
  type JsonBody,
  rpc,
  startGatewayWithAgents,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { startUpstreamAgent, type UpstreamAgent } from '../support/upstream-agent.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

/** The trace id of a W3C traceparent. */
const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];
const spanIdOf = (traceparent: string | undefined) => traceparent?.split('-')[2];

function sendMessage(text: string, configuration: Record<string, unknown> = {}) {
  return {
    jsonrpc: '2.0',
    id: 1,
    method: 'SendMessage',
    params: { message: userMessage(text), configuration },
  };
}

/** Spans of the test trace, once `names` have all ended. */
async function spansOnceEnded(
  exporter: InMemorySpanExporter,
  names: string[],
): Promise<ReadableSpan[]> {
  const ofTrace = () =>
    exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === TRACE_ID);
  await eventually(() => names.every((name) => ofTrace().some((span) => span.name === name))).catch(
    (error: Error) => {
      throw new Error(`${error.message}: ended ${ofTrace().map((span) => span.name)}`);
    },
  );
  return ofTrace();
}

function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found, `spans named ${name}`).toHaveLength(1);
  return found[0]!;
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

async function storedEvents(gateway: TestGateway, taskId: string) {
  return gateway.gateway.store.readStream(`task-${taskId}`);
}

describe('tracing through a gateway (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let upstream: UpstreamAgent;
  let webhook: WebhookReceiver;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await startUpstreamAgent();
    webhook = await startWebhookReceiver();
    gateway = await startGatewayWithAgents(
      {
        echo: JSON.parse(await readFile(join(FIXTURE_AGENTS, 'echo.json'), 'utf8')),
        far: { name: 'far', card: {}, executor: { kind: 'a2a', cardUrl: upstream.cardUrl } },
      },
      { env: { PUSH_ALLOW_HOSTS: '127.0.0.1' }, gateway: { traceExporter: exporter } },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
    await webhook?.close();
  });
  afterEach(() => exporter.reset());

  it('continues the caller trace: request, run, executor call and appends, events keep it', async () => {
    const answer = await rpc(`${gateway.url}/agents/echo`, sendMessage('hello'), {
      traceparent: TRACEPARENT,
      tracestate: 'vendor=1',
    });
    expect(answer.status).toBe(200);
    const task: JsonBody = answer.body.result.task;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');

    const spans = await spansOnceEnded(exporter, ['POST /agents/echo', 'task.run']);
    const request = only(spans, 'POST /agents/echo');
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(parentOf(request)).toBe(CALLER_SPAN);
    expect(request.attributes['rpc.method']).toBe('SendMessage');
    expect(request.attributes['http.response.status_code']).toBe(200);
    expect(request.spanContext().traceState?.get('vendor')).toBe('1');

    // A blocking SendMessage runs its task at once, inside the request.
    const run = only(spans, 'task.run');
    expect(parentOf(run)).toBe(idOf(request));
    expect(run.attributes['a2a.task.id']).toBe(task.id);
    const execute = only(spans, 'executor.execute');
    expect(parentOf(execute)).toBe(idOf(run));
    expect(execute.attributes['a2a.executor']).toBe('builtin:echo');
    const appends = spans.filter((span) => span.name === 'store.append');
    expect(appends.length).toBeGreaterThan(0);
    for (const append of appends) {
      expect([idOf(run), idOf(execute)]).toContain(parentOf(append));
    }

    // Every event of the task names a span of this trace: the request's or the run's.
    const events = await storedEvents(gateway, task.id);
    expect(events.length).toBeGreaterThanOrEqual(3);
    for (const event of events) expect(traceIdOf(event.metadata.traceparent)).toBe(TRACE_ID);
    const submitted = events.find((event) => event.type === 'task.submitted')!;
    expect(spanIdOf(submitted.metadata.traceparent)).toBe(idOf(request));
    const started = events.find((event) => event.type === 'task.execution_started')!;
    expect(spanIdOf(started.metadata.traceparent)).toBe(idOf(run));
  });

  it('a run taken from the bus continues the trace of the request that queued it', async () => {
    const answer = await rpc(
      `${gateway.url}/agents/echo`,
      sendMessage('later', { returnImmediately: true }),
      { traceparent: TRACEPARENT },
    );
    expect(answer.status).toBe(200);
    const taskId: string = answer.body.result.task.id;

    const spans = await spansOnceEnded(exporter, [
      'POST /agents/echo',
      'task.run publish',
      'task.run process',
      'task.run',
      'executor.execute',
    ]);
    const request = only(spans, 'POST /agents/echo');
    const publish = only(spans, 'task.run publish');
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(publish)).toBe(idOf(request));
    const consume = only(spans, 'task.run process');
    expect(consume.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(consume)).toBe(idOf(publish));
    expect(consume.attributes['messaging.consumer.group.name']).toBe('task-runs');
    const run = only(spans, 'task.run');
    expect(parentOf(run)).toBe(idOf(consume));
    expect(parentOf(only(spans, 'executor.execute'))).toBe(idOf(run));

    await eventually(async () =>
      (await storedEvents(gateway, taskId)).some((e) => e.type === 'task.status_changed'),
    );
    const events = await storedEvents(gateway, taskId);
    for (const event of events) expect(traceIdOf(event.metadata.traceparent)).toBe(TRACE_ID);
  });

  it('a request without a valid traceparent starts a trace of its own', async () => {
    const answer = await rpc(`${gateway.url}/agents/echo`, sendMessage('fresh'), {
      traceparent: '00-not-a-trace-01',
    });
    expect(answer.status).toBe(200);
    const task: JsonBody = answer.body.result.task;
    const events = await storedEvents(gateway, task.id);
    const traceId = traceIdOf(events[0]!.metadata.traceparent);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(TRACE_ID);
    await eventually(() =>
      exporter
        .getFinishedSpans()
        .some((span) => span.name === 'task.run' && span.spanContext().traceId === traceId),
    );
    const request = exporter
      .getFinishedSpans()
      .find((span) => span.kind === SpanKind.SERVER && span.spanContext().traceId === traceId)!;
    expect(request.parentSpanContext).toBeUndefined();
  });

  it('sends the traceparent of the executor call upstream', async () => {
    const answer = await rpc(`${gateway.url}/agents/far`, sendMessage('over there'), {
      traceparent: TRACEPARENT,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');

    const forwarded = upstream.requests.filter((request) => request.method.includes('Message'));
    expect(forwarded.length).toBeGreaterThan(0);
    const sent = forwarded.at(-1)!.headers.traceparent as string | undefined;
    expect(traceIdOf(sent)).toBe(TRACE_ID);

    const spans = await spansOnceEnded(exporter, ['task.run', 'executor.execute']);
    const execute = only(spans, 'executor.execute');
    expect(execute.attributes['a2a.agent']).toBe('far');
    expect(spanIdOf(sent)).toBe(idOf(execute));
  });

  it('push deliveries continue the trace of the task events they tell of', async () => {
    const answer = await rpc(
      `${gateway.url}/agents/echo`,
      sendMessage('tell me', {
        taskPushNotificationConfig: { url: `${webhook.origin}/traced` },
      }),
      { traceparent: TRACEPARENT },
    );
    expect(answer.status).toBe(200);
    await eventually(() => webhook.received.some((r) => r.path === '/traced'));
    const delivered = webhook.received.filter((r) => r.path === '/traced');
    for (const request of delivered) {
      expect(traceIdOf(request.headers.traceparent as string | undefined)).toBe(TRACE_ID);
    }
    // Each request was sent from the consumer span that handled its delivery.
    const deliveries = () =>
      new Set(
        exporter
          .getFinishedSpans()
          .filter((span) => span.name === 'push.deliver process')
          .map((span) => idOf(span)),
      );
    await eventually(() =>
      delivered.every((request) =>
        deliveries().has(spanIdOf(request.headers.traceparent as string)!),
      ),
    );
  });
});

describe('tracing off (no exporter configured)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('stores no traceparent, and a caller trace changes nothing', async () => {
    const answer = await rpc(`${gateway.url}/agents/echo`, sendMessage('quiet'), {
      traceparent: TRACEPARENT,
    });
    expect(answer.status).toBe(200);
    const task: JsonBody = answer.body.result.task;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    const events = await storedEvents(gateway, task.id);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(event.metadata.traceparent).toBeUndefined();
  });
});
