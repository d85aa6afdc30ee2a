import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import {
  FIXTURE_AGENTS,
  type JsonBody,
  rpc,
  startGatewayWithAgents,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { sample, scrape } from '../support/metrics.js';
import { freePort } from '../support/process.js';

const send = (url: string, text: string) =>
  rpc(`${url}/agents/echo`, {
    jsonrpc: '2.0',
    id: text,
    method: 'SendMessage',
    params: { message: userMessage(text) },
  });

describe('GET /metrics and /readyz on a gateway over real HTTP', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    const echo = JSON.parse(await readFile(join(FIXTURE_AGENTS, 'echo.json'), 'utf8'));
    // An upstream agent nobody answers for: its executor is down, its breaker shows.
    const nowhere = `http://127.0.0.1:${await freePort()}/.well-known/agent-card.json`;
    gateway = await startGatewayWithAgents({
      echo,
      faraway: {
        name: 'faraway',
        card: {},
        executor: { kind: 'a2a', cardUrl: nowhere, retry: { attempts: 0 } },
      },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('counts and times requests by route, JSON-RPC method and outcome', async () => {
    const before = await scrape(gateway.url);
    for (const text of ['one', 'two', 'three']) {
      const sent = await send(gateway.url, text);
      expect(sent.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    }
    const missing = await rpc(`${gateway.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 9,
      method: 'GetTask',
      params: { id: 'no-such-task' },
    });
    expect(missing.body.error.code).toBe(-32001);
    const unknown = await rpc(`${gateway.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 10,
      method: 'NoSuchMethod',
    });
    expect(unknown.body.error.code).toBe(-32601);
    expect((await fetch(`${gateway.url}/no/such/route/${Date.now()}`)).status).toBe(404);

    const after = await scrape(gateway.url);
    const moved = (name: string, labels: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels);

    const rpcRoute = { method: 'POST', route: '/agents/echo' };
    expect(moved('a2a_http_requests_total', { ...rpcRoute, status: '200' })).toBe(5);
    expect(
      moved('a2a_http_request_duration_seconds_count', { ...rpcRoute, status_class: '2xx' }),
    ).toBe(5);
    expect(moved('a2a_http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    // The raw path never becomes a label: a scanner cannot mint series.
    expect([...after.keys()].some((key) => key.includes('/no/such/route'))).toBe(false);

    const sendOk = { rpc_method: 'SendMessage', outcome: 'ok' };
    expect(moved('a2a_jsonrpc_requests_total', sendOk)).toBe(3);
    expect(moved('a2a_jsonrpc_request_duration_seconds_count', sendOk)).toBe(3);
    expect(moved('a2a_jsonrpc_request_duration_seconds_sum', sendOk)).toBeGreaterThan(0);
    expect(moved('a2a_jsonrpc_request_duration_seconds_bucket', { ...sendOk, le: '+Inf' })).toBe(3);
    expect(
      moved('a2a_jsonrpc_requests_total', { rpc_method: 'GetTask', outcome: 'TASK_NOT_FOUND' }),
    ).toBe(1);
    expect(
      moved('a2a_jsonrpc_requests_total', { rpc_method: 'unknown', outcome: 'METHOD_NOT_FOUND' }),
    ).toBe(1);
    expect([...after.keys()].some((key) => key.includes('NoSuchMethod'))).toBe(false);

    // The store was timed: the tasks were appended.
    expect(
      moved('a2a_event_store_operation_duration_seconds_count', {
        operation: 'append',
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(3);
  });

  it('reports tasks by state, streams, bus, lag, executors and the process at scrape time', async () => {
    await eventually(
      async () =>
        sample(await scrape(gateway.url), 'a2a_executor_status', {
          agent: 'faraway',
          status: 'down',
        }) === 1,
    );
    await send(gateway.url, 'counted');
    // The task view folds in batches: its count follows shortly.
    let samples = await scrape(gateway.url);
    await eventually(async () => {
      samples = await scrape(gateway.url);
      return sample(samples, 'a2a_tasks', { state: 'TASK_STATE_COMPLETED' }) >= 1;
    });
    const completed = sample(samples, 'a2a_tasks', { state: 'TASK_STATE_COMPLETED' });
    await send(gateway.url, 'counted too');
    await eventually(
      async () =>
        sample(await scrape(gateway.url), 'a2a_tasks', { state: 'TASK_STATE_COMPLETED' }) ===
        completed + 1,
    );

    expect(samples.has('a2a_sse_streams_open')).toBe(true);
    expect(sample(samples, 'a2a_sse_streams_open')).toBe(gateway.gateway.stats().openStreams);
    expect(sample(samples, 'a2a_bus_up')).toBe(1);
    expect(samples.has('a2a_bus_depth{topic="task.run",group="task-runs"}')).toBe(true);
    expect(samples.has('a2a_subscription_lag_events{subscriber="task-view"}')).toBe(true);
    expect(sample(samples, 'a2a_event_store_position', { subscriber: 'head' })).toBeGreaterThan(0);
    expect(sample(samples, 'a2a_executor_status', { agent: 'echo', status: 'up' })).toBe(1);
    expect(sample(samples, 'a2a_executor_status', { agent: 'echo', status: 'down' })).toBe(0);
    expect(sample(samples, 'a2a_executor_status', { agent: 'faraway', status: 'down' })).toBe(1);
    // Its card fetches keep failing: the breaker opens, one state at a time.
    await eventually(async () => {
      samples = await scrape(gateway.url);
      return (
        sample(samples, 'a2a_executor_circuit_breaker_state', {
          agent: 'faraway',
          state: 'open',
        }) === 1
      );
    });
    expect(sample(samples, 'a2a_executor_circuit_breaker_state', { agent: 'faraway' })).toBe(1);
    expect(samples.has('a2a_executor_circuit_breaker_state{agent="echo",state="closed"}')).toBe(
      false,
    );
    expect(samples.has('process_cpu_user_seconds_total')).toBe(true);
    expect(samples.has('nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('/readyz answers 503 naming the failed check while an agent executor is down', async () => {
    let body: JsonBody;
    // Down once its first card fetch has failed (refused at once: nothing listens there).
    await eventually(async () => {
      const response = await fetch(`${gateway.url}/readyz`);
      body = await response.json();
      return response.status === 503;
    });
    expect(body.status).toBe('not_ready');
    expect(body.checks.executors.status).toBe('fail');
    expect(body.checks.executors.detail).toContain('faraway');
    for (const check of ['store', 'migrations', 'task-view', 'bus'])
      expect(body.checks[check].status, check).toBe('ok');
    // Alive all the same: /healthz is about the process.
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });

  it('answers no preflight while CORS is off', async () => {
    const preflight = await fetch(`${gateway.url}/agents/echo`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(404);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});
