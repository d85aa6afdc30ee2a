import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadConfigWithSources } from '../../src/config/index.js';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'config-file-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, text);
  return path;
}

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

describe('CONFIG_FILE', () => {
  it('reads YAML settings under the variables names, lists and JSON-valued ones included', async () => {
    const path = await file(
      'gateway.yaml',
      [
        '# a comment',
        'PORT: 9000',
        'AUTH_API_KEYS: true',
        'PUSH_ALLOW_HOSTS: [localhost, "127.0.0.1:9000"]',
        'BUS: composite',
        'BUS_ROUTES:',
        '  strategy: first-match',
        '  routes: [{ topics: ["push.*"], adapter: memory }]',
        '  default: database',
        'INSTANCE_ID: null',
      ].join('\n'),
    );
    const { config, sources } = loadConfigWithSources({ CONFIG_FILE: path });
    expect(config).toMatchObject({
      PORT: 9000,
      AUTH_API_KEYS: true,
      PUSH_ALLOW_HOSTS: ['localhost', '127.0.0.1:9000'],
      BUS: 'composite',
    });
    expect(JSON.parse(config.BUS_ROUTES!)).toEqual({
      strategy: 'first-match',
      routes: [{ topics: ['push.*'], adapter: 'memory' }],
      default: 'database',
    });
    expect(config.INSTANCE_ID).toBeUndefined();
    expect(sources.PORT).toEqual({ from: 'file', path, line: 2 });
    expect(sources.BUS_ROUTES).toEqual({ from: 'file', path, line: 6 });
    expect(sources.CONFIG_FILE).toEqual({ from: 'env' });
    expect(sources.HOST).toEqual({ from: 'default' });
    expect(sources.INSTANCE_ID).toEqual({ from: 'default' });
  });

  it('reads JSON files too, with lines', async () => {
    const path = await file('gateway.json', '{\n  "PORT": 7000,\n  "LOG_LEVEL": "warn"\n}\n');
    const { config, sources } = loadConfigWithSources({ CONFIG_FILE: path });
    expect(config).toMatchObject({ PORT: 7000, LOG_LEVEL: 'warn' });
    expect(sources.LOG_LEVEL).toEqual({ from: 'file', path, line: 3 });
  });

  it('lets the environment override the file, an empty variable counting as unset', async () => {
    const path = await file('override.yml', 'PORT: 9000\nHOST: 0.0.0.0\n');
    const { config, sources } = loadConfigWithSources({
      CONFIG_FILE: path,
      PORT: '9100',
      HOST: '',
    });
    expect(config.PORT).toBe(9100);
    expect(sources.PORT).toEqual({ from: 'env' });
    expect(config.HOST).toBe('0.0.0.0');
    expect(sources.HOST).toEqual({ from: 'file', path, line: 2 });
  });

  it('refuses unknown keys, naming each and the file with its line', async () => {
    const path = await file('unknown.yaml', 'PORT: 9000\nPROT: 9001\nDATABSE_URL: x\n');
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: path }))).toEqual([
      `${path}:2: unknown setting PROT`,
      `${path}:3: unknown setting DATABSE_URL`,
    ]);
  });

  it('names a bad value with the setting and where it came from', async () => {
    const path = await file('bad.yaml', 'HOST: 0.0.0.0\nPORT: 70000\n');
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: path }))).toEqual([
      `PORT: Too big: expected number to be <=65535 (from ${path}:2)`,
    ]);
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: path, PORT: 'x' }))[0]).toMatch(
      /^PORT: .* \(from env\)$/,
    );
    // A rule across settings names the setting it points at, and its source.
    const cross = await file('cross.yaml', 'HTTP_HEADERS_TIMEOUT_MS: 5000\n');
    expect(
      problemsOf(() => loadConfig({ CONFIG_FILE: cross, HTTP_REQUEST_TIMEOUT_MS: '1000' })),
    ).toEqual([
      `HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (1000) (from ${cross}:1)`,
    ]);
  });

  it('refuses a file it cannot use: missing, wrong extension, not a mapping, broken, CONFIG_FILE inside', async () => {
    const missing = join(folder, 'missing.yaml');
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: missing }))).toEqual([
      `CONFIG_FILE: cannot read ${missing}: ENOENT`,
    ]);
    const toml = await file('gateway.toml', 'PORT = 1');
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: toml }))[0]).toMatch(
      /CONFIG_FILE: .*gateway\.toml must end in \.yaml, \.yml or \.json/,
    );
    const list = await file('list.yaml', '- PORT\n- HOST\n');
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: list }))).toEqual([
      `${list}:1: must be a mapping of setting names to values`,
    ]);
    const broken = await file('broken.json', '{\n  "PORT": 1,\n  "HOST": \n');
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: broken }))[0]).toMatch(
      new RegExp(`^${broken.replaceAll('.', '\\.')}:\\d+: not valid YAML/JSON`),
    );
    const twice = await file('twice.yaml', 'PORT: 1\nPORT: 2\n');
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: twice }))[0]).toMatch(
      /twice\.yaml:2: not valid YAML\/JSON: .*unique/i,
    );
    const nested = await file('nested.yaml', 'CONFIG_FILE: other.yaml\n');
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: nested }))).toEqual([
      `${nested}:1: CONFIG_FILE is read from the environment only`,
    ]);
  });

  it('takes an empty file as no settings', async () => {
    const path = await file('empty.yaml', '# nothing yet\n');
    expect(loadConfig({ CONFIG_FILE: path })).toEqual({
      ...loadConfig({}),
      CONFIG_FILE: path,
    });
  });
});
