import { describe, expect, it } from 'vitest';
import { lagCheck } from '../../src/gateway-readiness.js';
import { createGatewayMetrics } from '../../src/observability/index.js';
import { createMemoryEventStore, startDurableSubscriber } from '../../src/store/index.js';

const TYPE = 'test.happened';
const event = (n: number) => ({ type: TYPE, data: { n } });

describe('readiness: a durable subscriber within READY_MAX_LAG_EVENTS of the head', () => {
  it('fails while the subscriber is further behind than allowed, counting only its types', async () => {
    const store = createMemoryEventStore();
    const handled: number[] = [];
    const subscriber = await startDurableSubscriber(store, {
      name: 'view',
      types: [TYPE],
      handle: async (stored) => {
        handled.push((stored.data as { n: number }).n);
      },
    });
    await store.append('s-1', [event(1)]);
    expect(await subscriber.waitFor(await store.headPosition(), 5_000)).toBe(true);
    const watched = { name: 'view', subscriber, types: [TYPE] };
    expect(await lagCheck('view', store, watched, 0).check()).toEqual({
      ok: true,
      detail: '0 events behind',
    });

    // Stopped, it falls behind by exactly what is appended next; other types do not count.
    await subscriber.stop();
    await store.append('s-1', [event(2), event(3), event(4)]);
    await store.append('other', [{ type: 'other.thing', data: {} }]);
    const behind = await lagCheck('view', store, watched, 2).check();
    expect(behind.ok).toBe(false);
    expect(behind.detail).toContain('more than 2 events behind');
    expect(await lagCheck('view', store, watched, 3).check()).toEqual({
      ok: true,
      detail: '3 events behind',
    });
    expect(handled).toEqual([1]);
    await store.close();
  });
});

describe('metrics registries', () => {
  it('are one per gateway: what one observes the other does not show', async () => {
    const first = createGatewayMetrics();
    const second = createGatewayMetrics();
    first.observeRpc({ method: 'GetTask', outcome: 'ok', seconds: 0.002 });
    first.observeStore('append', true, 0.001);
    const one = (await first.scrape()).body;
    const two = (await second.scrape()).body;
    expect(one).toContain('a2a_jsonrpc_requests_total{rpc_method="GetTask",outcome="ok"} 1');
    expect(one).toMatch(
      /a2a_event_store_operation_duration_seconds_count\{operation="append",outcome="ok"\} 1/,
    );
    expect(two).not.toContain('rpc_method="GetTask"');
    // Process metrics in both: they describe the process, collected once for it.
    expect(one).toContain('process_cpu_user_seconds_total');
    expect(two).toContain('process_cpu_user_seconds_total');
  });
});
