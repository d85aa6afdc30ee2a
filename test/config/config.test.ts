import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('configuration', () => {
  it('bounds every HTTP connection by default', () => {
    expect(loadConfig({})).toMatchObject({
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 5_000,
      HTTP_IDLE_TIMEOUT_MS: 30_000,
    });
  });

  it('refuses a headers timeout above the request timeout, naming both', () => {
    expect(() =>
      loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' }),
    ).toThrow(/HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS \(1000\)/);
    expect(
      loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '0' })
        .HTTP_REQUEST_TIMEOUT_MS,
    ).toBe(0);
  });

  it('refuses an idle timeout that SSE heartbeats could not beat', () => {
    const error = (() => {
      try {
        loadConfig({ HTTP_IDLE_TIMEOUT_MS: '15000', SSE_HEARTBEAT_MS: '15000' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'HTTP_IDLE_TIMEOUT_MS: must exceed SSE_HEARTBEAT_MS (15000), or quiet SSE streams are cut (from env)',
    ]);
  });

  it('leaves the built-in authorization server off, with its defaults ready', () => {
    expect(loadConfig({})).toMatchObject({
      AUTH_SERVER: false,
      AUTH_TOKEN_TTL_S: 600,
      AUTH_AUDIENCE: 'a2a-gateway',
      SIGNING_KEY_ALG: 'ES256',
    });
    expect(loadConfig({}).SIGNING_KEY_FILE).toBeUndefined();
    expect(
      loadConfig({ AUTH_SERVER: 'true', SIGNING_KEY_ALG: 'EdDSA', AUTH_TOKEN_TTL_S: '3600' }),
    ).toMatchObject({ AUTH_SERVER: true, SIGNING_KEY_ALG: 'EdDSA', AUTH_TOKEN_TTL_S: 3600 });
  });

  it('refuses authorization server settings out of range, naming them', () => {
    expect(() => loadConfig({ AUTH_SERVER: 'maybe' })).toThrow(/AUTH_SERVER/);
    expect(() => loadConfig({ AUTH_TOKEN_TTL_S: '59' })).toThrow(/AUTH_TOKEN_TTL_S/);
    expect(() => loadConfig({ AUTH_TOKEN_TTL_S: '86401' })).toThrow(/AUTH_TOKEN_TTL_S/);
    expect(() => loadConfig({ SIGNING_KEY_ALG: 'HS256' })).toThrow(/SIGNING_KEY_ALG/);
  });

  it('turns push notifications on by default, with no host exempt from the address rules', () => {
    expect(loadConfig({})).toMatchObject({
      PUSH_NOTIFICATIONS: true,
      PUSH_ALLOW_HOSTS: [],
      PUSH_TIMEOUT_MS: 10_000,
      PUSH_MAX_ATTEMPTS: 8,
    });
    expect(loadConfig({ PUSH_NOTIFICATIONS: 'false' }).PUSH_NOTIFICATIONS).toBe(false);
  });

  it('reads PUSH_ALLOW_HOSTS as hosts and host:port pairs, and refuses anything else', () => {
    expect(
      loadConfig({ PUSH_ALLOW_HOSTS: ' LocalHost , 127.0.0.1:9000,[::1]:8080,hooks.internal.' })
        .PUSH_ALLOW_HOSTS,
    ).toEqual(['localhost', '127.0.0.1:9000', '[::1]:8080', 'hooks.internal.']);
    expect(() => loadConfig({ PUSH_ALLOW_HOSTS: 'http://localhost' })).toThrow(
      /PUSH_ALLOW_HOSTS: http:\/\/localhost is not a host or host:port/,
    );
    expect(() => loadConfig({ PUSH_ALLOW_HOSTS: '::1' })).toThrow(/PUSH_ALLOW_HOSTS/);
  });

  it('refuses a first push retry delay above the longest', () => {
    expect(() => loadConfig({ PUSH_RETRY_BASE_MS: '5000', PUSH_RETRY_MAX_MS: '1000' })).toThrow(
      /PUSH_RETRY_BASE_MS: must not exceed PUSH_RETRY_MAX_MS \(1000\)/,
    );
  });
});
