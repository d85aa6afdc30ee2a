import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from '../../../src/executors/a2a/circuit-breaker.js';
import {
  CircuitOpenError,
  UpstreamInvalidResponseError,
  UpstreamRpcError,
  UpstreamUnavailableError,
} from '../../../src/executors/a2a/upstream-errors.js';

const URL = 'http://up.example/card.json';

function setUp(failureThreshold = 3, openMs = 10_000) {
  let clock = 0;
  const breaker = createCircuitBreaker(URL, { failureThreshold, openMs, now: () => clock });
  const down = () => breaker.guard(() => Promise.reject(new UpstreamUnavailableError(URL, 'down')));
  const ok = () => breaker.guard(async () => 'ok');
  return { breaker, down, ok, advance: (ms: number) => (clock += ms) };
}

describe('circuit breaker', () => {
  it('opens after failureThreshold failures in a row, then fails fast saying when it tries again', async () => {
    const { breaker, down, ok } = setUp(3, 12_000);
    for (let i = 0; i < 3; i++)
      await expect(down()).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(breaker.state()).toBe('open');
    let called = false;
    const refused = breaker.guard(async () => {
      called = true;
    });
    await expect(refused).rejects.toThrow(
      `upstream ${URL} unavailable: circuit open after 3 failures; next try in 12 s`,
    );
    await expect(ok()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
  });

  it('a success in between starts the count again; a proper refusal is a success', async () => {
    const { breaker, down } = setUp(3);
    await expect(down()).rejects.toThrow();
    await expect(down()).rejects.toThrow();
    await expect(
      breaker.guard(() => Promise.reject(new UpstreamRpcError(URL, 'GetTask', -32001, 'nope'))),
    ).rejects.toBeInstanceOf(UpstreamRpcError);
    await expect(down()).rejects.toThrow();
    expect(breaker.state()).toBe('closed');
  });

  it('garbage counts as a failure; an abort on our side counts as nothing', async () => {
    const { breaker } = setUp(2);
    await expect(
      breaker.guard(() => Promise.reject(new UpstreamInvalidResponseError(URL, 'not JSON'))),
    ).rejects.toThrow();
    await expect(breaker.guard(() => Promise.reject(new Error('aborted')))).rejects.toThrow();
    expect(breaker.state()).toBe('closed');
    await expect(
      breaker.guard(() => Promise.reject(new UpstreamInvalidResponseError(URL, 'not JSON'))),
    ).rejects.toThrow();
    expect(breaker.state()).toBe('open');
  });

  it('half-open after openMs: one trial call at a time; success closes, failure reopens', async () => {
    const { breaker, down, ok, advance } = setUp(1, 1_000);
    await expect(down()).rejects.toThrow();
    advance(1_000);
    expect(breaker.state()).toBe('half-open');
    expect(breaker.describe()).toContain('half-open');

    let release!: () => void;
    const trial = breaker.guard(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(ok()).rejects.toThrow('a trial call is in flight');
    release();
    await trial;
    expect(breaker.state()).toBe('closed');

    await expect(down()).rejects.toThrow();
    advance(1_000);
    await expect(down()).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(breaker.state()).toBe('open');
    expect(breaker.describe()).toMatch(/^circuit open after 2 failures; next try in 1 s$/);
  });
});
