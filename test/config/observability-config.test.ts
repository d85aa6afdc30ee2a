import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('observability settings', () => {
  it('defaults: metrics on and private, CORS off, a lag bound for readiness', () => {
    const config = loadConfig({});
    expect(config.METRICS).toBe(true);
    expect(config.METRICS_PUBLIC).toBe(false);
    expect(config.CORS_ORIGINS).toEqual([]);
    expect(config.READY_MAX_LAG_EVENTS).toBe(1_000);
  });

  it('reads CORS_ORIGINS as a list of origins, or * alone', () => {
    expect(
      loadConfig({ CORS_ORIGINS: 'https://app.example, http://localhost:5173/ ,' }).CORS_ORIGINS,
    ).toEqual(['https://app.example', 'http://localhost:5173']);
    expect(loadConfig({ CORS_ORIGINS: ' * ' }).CORS_ORIGINS).toBe('*');
    expect(loadConfig({ METRICS: 'false', METRICS_PUBLIC: 'yes' })).toMatchObject({
      METRICS: false,
      METRICS_PUBLIC: true,
    });
  });

  it('refuses what is not an origin, naming the variable', () => {
    for (const bad of ['app.example', 'https://app.example/path', 'https://a.example,*'])
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(
        /CORS_ORIGINS: .* is not an origin/,
      );
    expect(() => loadConfig({ READY_MAX_LAG_EVENTS: '-1' })).toThrow(ConfigError);
  });
});
