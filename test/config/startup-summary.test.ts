import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/index.js';
import { exitCode, runGateway } from '../support/process.js';

// `npm start` with a CONFIG_FILE: the configuration line it logs first, secrets masked, and
// a file it cannot use refused by name. The port is taken, so the process stops right after
// printing the summary, before it opens any store.

/**
 * Every setting the test's own environment may export (DATABASE_URL in CI) blanked: an empty
 * variable counts as unset, so only the file and what the test sets reach the gateway.
 */
const blank = Object.fromEntries(Object.keys(ConfigSchema.shape).map((key) => [key, '']));

let folder: string;
let holder: Server;
let port: number;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'startup-summary-'));
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  port = (holder.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => holder.close(resolve));
  await rm(folder, { recursive: true, force: true });
});

describe('the configuration printed at start-up', () => {
  it('lists every setting with its source and masks the secrets', async () => {
    const file = join(folder, 'gateway.yaml');
    await writeFile(
      file,
      [
        `PORT: ${port}`,
        'DATABASE_URL: postgres://gateway:s3cret-pw@127.0.0.1:1/gateway',
        'AUTH_API_KEYS: true',
      ].join('\n'),
    );
    const gateway = runGateway({
      ...blank,
      CONFIG_FILE: file,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATA_DIR: join(folder, 'data'),
      AMQP_URL: 'amqp://guest:hunter2@127.0.0.1:5672',
    });
    expect(await exitCode(gateway)).toBe(1);
    const output = gateway.output();
    expect(output).toContain(`127.0.0.1:${port}`); // the port check stopped it
    const line = output
      .split('\n')
      .filter((text) => text.startsWith('{'))
      .map((text) => JSON.parse(text))
      .find((entry) => entry.message === 'configuration');
    expect(line, output).toBeDefined();
    expect(line.file).toBe(file);
    expect(line.settings).toMatchObject({
      PORT: `${port} (file ${file}:1)`,
      DATABASE_URL: `postgres://gateway:***@127.0.0.1:1/gateway (file ${file}:2)`,
      AUTH_API_KEYS: `true (file ${file}:3)`,
      AMQP_URL: 'amqp://guest:***@127.0.0.1:5672 (env)',
      HOST: '127.0.0.1 (env)',
      DATABASE_SCHEMA: 'a2a_gateway (default)',
    });
    expect(output).not.toContain('s3cret-pw');
    expect(output).not.toContain('hunter2');
  });

  it('refuses an unknown key in the file, naming it and the file, with exit code 2', async () => {
    const file = join(folder, 'typo.json');
    await writeFile(file, `{\n  "PORT": ${port},\n  "DATABSE_URL": "postgres://x@y/z"\n}\n`);
    const gateway = runGateway({ ...blank, CONFIG_FILE: file });
    expect(await exitCode(gateway)).toBe(2);
    expect(gateway.output()).toContain(`${file}:3: unknown setting DATABSE_URL`);
  });
});
