import { describe, expect, it } from 'vitest';
import { backoffDelay, retrySafe } from '../../../src/executors/a2a/backoff.js';
import {
  UpstreamInvalidResponseError,
  UpstreamUnavailableError,
} from '../../../src/executors/a2a/upstream-errors.js';

const URL = 'http://up.example/card.json';
const policy = { attempts: 3, initialDelayMs: 1, maxDelayMs: 4 };

describe('backoff with full jitter', () => {
  it('is a random delay below a bound that doubles up to the maximum', () => {
    const bounds = { initialDelayMs: 100, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 4, 10].map((retry) => backoffDelay(retry, bounds, () => 0.999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(5, bounds, () => 0)).toBe(0);
  });
});

describe('retrySafe', () => {
  it('tries an operation that got no answer again, up to `attempts` more times', async () => {
    let calls = 0;
    const result = retrySafe(async () => {
      calls += 1;
      throw new UpstreamUnavailableError(URL, 'ECONNREFUSED');
    }, policy);
    await expect(result).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(calls).toBe(4);
  });

  it('returns the first success', async () => {
    let calls = 0;
    const result = await retrySafe(async () => {
      calls += 1;
      if (calls < 3) throw new UpstreamUnavailableError(URL, 'reset');
      return 'answer';
    }, policy);
    expect(result).toBe('answer');
    expect(calls).toBe(3);
  });

  it('does not try again after garbage, or after an error that is not the upstream’s', async () => {
    for (const error of [new UpstreamInvalidResponseError(URL, 'not JSON'), new Error('bug')]) {
      let calls = 0;
      await expect(
        retrySafe(async () => {
          calls += 1;
          throw error;
        }, policy),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('stops waiting when its signal aborts', async () => {
    const controller = new AbortController();
    const reason = new Error('run canceled');
    let calls = 0;
    const result = retrySafe(
      async () => {
        calls += 1;
        controller.abort(reason);
        throw new UpstreamUnavailableError(URL, 'down');
      },
      { attempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 },
      controller.signal,
    );
    await expect(result).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(calls).toBe(1);
  });
});
