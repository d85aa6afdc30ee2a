import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_AGENTS } from './support/gateway.js';
import { freePort, runGateway } from './support/process.js';

describe('start-up: the port is checked before the store opens', () => {
  let folder: string;
  let squatter: Server;
  let port: number;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'startup-'));
    port = await freePort();
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => squatter?.close(resolve));
    await rm(folder, { recursive: true, force: true });
  });

  it('fails fast, naming the address, when PORT is taken, without touching DATA_DIR', async () => {
    const dataDir = join(folder, 'never-opened');
    const gateway = runGateway({
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      AGENT_CARDS_DIR: FIXTURE_AGENTS,
    });
    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toContain(
      `start-up failed: cannot listen on 127.0.0.1:${port}: the port is already in use`,
    );
    expect(gateway.output()).toContain('set PORT to another port');
    // The embedded store was never opened (which takes seconds and creates the folder).
    expect(existsSync(dataDir)).toBe(false);
  });
});
