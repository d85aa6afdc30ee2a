import { describe, expect, it } from 'vitest';
import {
  createProgressThrottle,
  progressText,
} from '../../../src/executors/mcp/progress-throttle.js';
import { eventually } from '../../support/collect.js';

describe('progress throttle', () => {
  it('sends the first report at once, then only the latest of a burst', async () => {
    const sent: string[] = [];
    const throttle = createProgressThrottle(async (text) => {
      sent.push(text);
    }, 50);
    for (let i = 1; i <= 1_000; i++) throttle.report({ progress: i, total: 1_000 });
    expect(sent).toEqual(['progress 1/1000']);
    await eventually(() => sent.length === 2);
    expect(sent).toEqual(['progress 1/1000', 'progress 1000/1000']);
    await throttle.stop();
  });

  it('keeps one send in flight: reports meanwhile wait, and only the latest goes', async () => {
    const sent: string[] = [];
    let release = () => {};
    const throttle = createProgressThrottle(async (text) => {
      sent.push(text);
      if (sent.length === 1) await new Promise<void>((resolve) => (release = resolve));
    }, 1);
    throttle.report({ progress: 1 });
    throttle.report({ progress: 2 });
    throttle.report({ progress: 3 });
    expect(sent).toEqual(['progress 1']);
    release();
    await eventually(() => sent.length === 2);
    expect(sent).toEqual(['progress 1', 'progress 3']);
    await throttle.stop();
  });

  it('drops what waits on stop, after the send in flight is done', async () => {
    const sent: string[] = [];
    let release = () => {};
    const throttle = createProgressThrottle(async (text) => {
      await new Promise<void>((resolve) => (release = resolve));
      sent.push(text);
    }, 1);
    throttle.report({ progress: 1 });
    throttle.report({ progress: 2 });
    const stopped = throttle.stop();
    release();
    await stopped;
    throttle.report({ progress: 3 });
    expect(sent).toEqual(['progress 1']);
  });

  it('survives a send that fails (the task was canceled meanwhile)', async () => {
    const throttle = createProgressThrottle(() => Promise.reject(new Error('canceled')), 1);
    throttle.report({ progress: 1 });
    await expect(throttle.stop()).resolves.toBeUndefined();
  });

  it('says the total and the message when the tool gives them', () => {
    expect(progressText({ progress: 3 })).toBe('progress 3');
    expect(progressText({ progress: 3, total: 10 })).toBe('progress 3/10');
    expect(progressText({ progress: 3, total: 10, message: 'copying' })).toBe(
      'progress 3/10: copying',
    );
  });
});
