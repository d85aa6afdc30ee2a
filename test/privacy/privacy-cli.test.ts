import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  childEnv,
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';

const run = promisify(execFile);

describe('the privacy and retention commands', () => {
  let gateway: TestGateway;
  const cli = async (args: string[], env: Record<string, string> = {}) =>
    JSON.parse(
      (
        await run('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], {
          env: childEnv({ ...gateway.env, LOG_LEVEL: 'silent', ...env }),
        })
      ).stdout,
    ) as JsonBody;
  const send = async (tenant: string, text: string) =>
    (
      await rpc(`${gateway.url}/${tenant}/agents/echo`, {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message: userMessage(text) },
      })
    ).body.result.task.id as string;

  beforeAll(async () => {
    gateway = await startTestGateway({
      env: { PII_ENCRYPTION: 'true', ENCRYPTION_MASTER_KEY: randomBytes(32).toString('base64') },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('shreds through a running gateway, then archives and restores with it stopped', async () => {
    const acme = await send('acme', 'acme secret');
    const globex = await send('globex', 'globex secret');

    const shred = await cli(['privacy', 'shred', 'acme', '--url', gateway.url, '--json']);
    expect(shred).toMatchObject({ tenant: 'acme', keysShredded: 1 });
    const audit = await fetch(`${gateway.url}/acme/tasks/${acme}/events`);
    expect(JSON.stringify(await audit.json())).toContain('"$redacted":"shredded"');

    // The embedded folder belongs to the gateway while it runs: stop it, keep the folder.
    await gateway.gateway.stop();
    const again = await cli(['privacy', 'shred', 'acme', '--json']);
    expect(again).toMatchObject({ tenant: 'acme', keysShredded: 0 });
    expect(again.tasksRedacted).toBeGreaterThanOrEqual(1);

    const archiveDir = join(gateway.env.DATA_DIR!, 'archive');
    const retention = {
      RETENTION_POLICIES: JSON.stringify([
        { streams: `task-${globex}`, tenant: 'globex', olderThanDays: 1e-9 },
      ]),
      RETENTION_ARCHIVE_DIR: archiveDir,
    };
    const planned = await cli(['retention', 'run', '--dry-run', '--json'], retention);
    expect(planned.streams.map((stream: JsonBody) => stream.streamId)).toEqual([`task-${globex}`]);
    const archived = await cli(['retention', 'run', '--json'], retention);
    const [stream] = archived.streams;
    expect(stream).toMatchObject({ streamId: `task-${globex}`, tenant: 'globex' });
    // Archived as stored: the personal data is ciphertext in the file too.
    const text = gunzipSync(await readFile(stream.archive)).toString('utf8');
    expect(text).toContain('"$enc":"v1"');
    expect(text).not.toContain('globex secret');

    const { stdout } = await run(
      'node',
      ['--import', 'tsx', 'src/cli/main.ts', 'retention', 'restore', stream.archive],
      { env: childEnv({ ...gateway.env, LOG_LEVEL: 'silent', ...retention }) },
    );
    expect(stdout).toContain(`task-${globex}: ${stream.events} event(s) restored`);
    // Five command processes, each opening the embedded database (seconds each when loaded).
  }, 240_000);
});
