import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../src/observability/index.js';

// biome-ignore lint/suspicious/noExplicitAny: log lines are read field by field.
type Line = any;

function capture(level: LogLevel = 'debug', redact?: string[]) {
  const lines: Line[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level,
    write: (line) => {
      raw.push(line);
      lines.push(JSON.parse(line));
    },
    ...(redact ? { redact } : {}),
  });
  return { logger, lines, raw };
}

describe('the JSON-lines logger (pino)', () => {
  it('writes one JSON object per line: level as a label, ISO time, message, fields', () => {
    const { logger, lines, raw } = capture('info');
    logger.info('gateway listening', { url: 'http://127.0.0.1:8080', agents: ['echo'] });
    logger.warn('careful', { attempt: 2 });
    expect(raw).toHaveLength(2);
    expect(raw[0]).not.toContain('\n');
    expect(lines[0]).toMatchObject({
      level: 'info',
      message: 'gateway listening',
      url: 'http://127.0.0.1:8080',
      agents: ['echo'],
    });
    expect(new Date(lines[0].time).toISOString()).toBe(lines[0].time);
    expect(lines[1]).toMatchObject({ level: 'warn', message: 'careful', attempt: 2 });
    expect(lines[0]).not.toHaveProperty('pid');
    expect(lines[0]).not.toHaveProperty('hostname');
  });

  it('drops lines below its level and writes nothing when silent', () => {
    const { logger, lines } = capture('warn');
    logger.debug('no');
    logger.info('no');
    logger.error('yes');
    expect(lines.map((line) => line.message)).toEqual(['yes']);
    expect(logger.enabled?.('info')).toBe(false);
    expect(logger.enabled?.('warn')).toBe(true);
    const silent = capture('silent');
    silent.logger.error('nothing');
    expect(silent.lines).toEqual([]);
  });

  it('children carry their fields on every line, alongside the line own fields', () => {
    const { logger, lines } = capture();
    const task = logger.child({ taskId: 't-1', tenant: 'acme' });
    task.child({ component: 'saga' }).info('run started', { agent: 'echo' });
    expect(lines[0]).toMatchObject({
      taskId: 't-1',
      tenant: 'acme',
      component: 'saga',
      agent: 'echo',
      message: 'run started',
    });
  });

  it('keeps what helps an operator of an error: name, message, code and cause', () => {
    const { logger, lines } = capture();
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    logger.error('start-up failed', { error: new Error('no database', { cause }) });
    expect(lines[0].error).toMatchObject({
      name: 'Error',
      message: 'no database',
      cause: { message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' },
    });
    expect(lines[0].error.stack).toContain('no database');
  });

  it('redacts credentials, tokens, keys and passwords wherever a line holds them', () => {
    const { logger, raw, lines } = capture('debug', ['X-Gateway-Key']);
    logger.info('request', {
      authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.secret-jwt',
      headers: {
        cookie: 'session=secret-cookie',
        'x-api-key': 'secret-api-key',
        'x-gateway-key': 'secret-custom-key',
        accept: 'application/json',
      },
      client: { client_secret: 'secret-client', clientId: 'cli-1' },
      request: { body: { password: 'secret-password', token: 'secret-token' } },
      privateKey: '-----BEGIN PRIVATE KEY-----secret-pem',
      apiKey: 'secret-api-key-2',
      Authorization: 'Basic secret-basic',
      upstream: { Headers: { 'Proxy-Authorization': 'secret-proxy' } },
    });
    logger
      .child({ credentials: 'secret-credentials' })
      .warn('child', { access_token: 'secret-at' });
    const text = raw.join('\n');
    expect(text).not.toMatch(/secret-/);
    expect(lines[0].headers.accept).toBe('application/json');
    expect(lines[0].client.clientId).toBe('cli-1');
    expect(lines[0].authorization).toBe('[redacted]');
    expect(lines[0].request.body.password).toBe('[redacted]');
    expect(lines[1].credentials).toBe('[redacted]');
  });

  it('keeps a connection URL readable without its password, in fields and error messages', () => {
    const { logger, raw, lines } = capture();
    logger.info('opening', {
      DATABASE_URL: 'postgres://gateway:hunter2@db.internal:5432/a2a',
      config: { connectionString: 'postgresql://u:pa55@db/a2a' },
      note: 'retrying redis://:sekrit@cache:6379 soon',
      error: new Error('could not reach postgres://gateway:hunter2@db.internal:5432/a2a'),
    });
    const text = raw.join('\n');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('pa55');
    expect(text).not.toContain('sekrit');
    expect(lines[0].DATABASE_URL).toBe('postgres://gateway:***@db.internal:5432/a2a');
    expect(lines[0].config.connectionString).toBe('postgresql://u:***@db/a2a');
    expect(lines[0].note).toBe('retrying redis://:***@cache:6379 soon');
  });
});
