import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCI, skipReason } from './services.js';

describe('isCI', () => {
  it('counts CI=true and CI=1 as CI', () => {
    expect(isCI({ CI: 'true' })).toBe(true);
    expect(isCI({ CI: '1' })).toBe(true);
  });

  it('does not count CI=false, CI=0, an empty CI or no CI at all', () => {
    for (const CI of ['false', '0', '', undefined]) expect(isCI({ CI })).toBe(false);
  });
});

describe('skipReason', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('skips, naming the variable, when CI=false', () => {
    vi.stubEnv('CI', 'false');
    expect(skipReason('DATABASE_URL')).toMatch(/^DATABASE_URL is not set/);
  });

  it('refuses to skip on CI', () => {
    vi.stubEnv('CI', 'true');
    expect(() => skipReason('DATABASE_URL')).toThrow(/CI must not skip: DATABASE_URL is not set/);
  });
});
