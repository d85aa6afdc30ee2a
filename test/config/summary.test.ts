import { describe, expect, it } from 'vitest';
import {
  ConfigSchema,
  describeSetting,
  isSecretSetting,
  loadConfigWithSources,
  maskCredentials,
  summarizeConfig,
} from '../../src/config/index.js';

describe('the start-up summary of settings', () => {
  it('lists every setting with its value and source, passwords in URLs masked', () => {
    const { config, sources } = loadConfigWithSources({
      PORT: '9000',
      DATABASE_URL: 'postgres://gateway:s3cret-pw@db:5432/gateway',
      AMQP_URL: 'amqp://guest:hunter2@rabbit:5672',
      NATS_URL: 'nats://a:pw1@n1:4222,nats://b:pw2@n2:4222',
    });
    const summary = summarizeConfig(config, sources);
    expect(Object.keys(summary).sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
    expect(summary.PORT).toBe('9000 (env)');
    expect(summary.HOST).toBe('127.0.0.1 (default)');
    expect(summary.PUBLIC_URL).toBe('(unset)');
    expect(summary.DATABASE_URL).toBe('postgres://gateway:***@db:5432/gateway (env)');
    expect(summary.AMQP_URL).toBe('amqp://guest:***@rabbit:5672 (env)');
    expect(summary.NATS_URL).toBe('nats://a:***@n1:4222,nats://b:***@n2:4222 (env)');
    const text = JSON.stringify(summary);
    for (const secret of ['s3cret-pw', 'hunter2', 'pw1', 'pw2']) expect(text).not.toContain(secret);
  });

  it('masks settings named like secrets by rule, including ones added later', () => {
    // Names the schema may gain: the rule covers them without a list to keep up.
    for (const key of [
      'ENCRYPTION_MASTER_KEY',
      'OAUTH_CLIENT_SECRET',
      'ADMIN_TOKEN',
      'SMTP_PASSWORD',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'PII_PRIVATE_KEY',
      'API_KEYS',
    ])
      expect(isSecretSetting(key, 'something'), key).toBe(true);
    expect(describeSetting('ENCRYPTION_MASTER_KEY', 'base64stuff==', { from: 'env' })).toBe(
      '*** (env)',
    );
    expect(describeSetting('PII_PRIVATE_KEY', 'k', { from: 'file', path: 'g.yaml', line: 4 })).toBe(
      '*** (file g.yaml:4)',
    );
  });

  it('shows settings about secrets that are no secret: numbers, flags, choices, files, header names', () => {
    expect(isSecretSetting('AUTH_TOKEN_TTL_S', 600)).toBe(false);
    expect(isSecretSetting('AUTH_API_KEYS', true)).toBe(false);
    expect(isSecretSetting('SIGNING_KEY_ALG', 'ES256')).toBe(false);
    expect(isSecretSetting('SIGNING_KEY_FILE', '/run/secrets/key.pem')).toBe(false);
    expect(isSecretSetting('API_KEY_HEADER', 'X-API-Key')).toBe(false);
    expect(isSecretSetting('MAX_CONNECTIONS', 10)).toBe(false);
    const { config, sources } = loadConfigWithSources({
      AUTH_API_KEYS: 'true',
      SIGNING_KEY_ALG: 'EdDSA',
    });
    const summary = summarizeConfig(config, sources);
    expect(summary.AUTH_API_KEYS).toBe('true (env)');
    expect(summary.SIGNING_KEY_ALG).toBe('EdDSA (env)');
    expect(summary.API_KEY_HEADER).toBe('X-API-Key (default)');
  });

  it('masks credentials wherever a URL carries them, JSON and query strings included', () => {
    expect(maskCredentials('redis://:p4ss@r:6379/0')).toBe('redis://:***@r:6379/0');
    expect(maskCredentials('postgres://postgres@127.0.0.1:5432/test')).toBe(
      'postgres://postgres@127.0.0.1:5432/test',
    );
    expect(maskCredentials('{"url":"https://u:pw@h/x"}')).toBe('{"url":"https://u:***@h/x"}');
    expect(maskCredentials('https://h/hook?api_key=abc&x=1&access_token=t')).toBe(
      'https://h/hook?api_key=***&x=1&access_token=***',
    );
  });
});
