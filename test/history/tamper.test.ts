import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import {
  childEnv,
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { DATABASE_URL, describeEachDatabase } from '../support/services.js';

const run = promisify(execFile);

describeEachDatabase(
  'tamper evidence on $name: a row edited behind the gateway',
  ({ database }) => {
    let gateway: TestGateway;
    let folder: string;
    beforeAll(async () => {
      folder = await mkdtemp(join(tmpdir(), 'tamper-'));
      gateway = await startTestGateway({ database, env: { DATA_DIR: folder } });
    });
    afterAll(async () => {
      await gateway?.stop();
      await rm(folder, { recursive: true, force: true });
    });

    const verify = async (query = '') => {
      const response = await fetch(`${gateway.url}/admin/audit/verify${query}`);
      expect(response.status).toBe(200);
      return (await response.json()) as JsonBody;
    };
    const send = (path: string, text: string) =>
      rpc(`${gateway.url}${path}`, {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message: userMessage(text) },
      });
    /** Sealed up to the store's head: the sealer runs beside the appends, not in them. */
    const sealed = async () => {
      const head = await gateway.gateway.store.headPosition();
      await eventually(async () => (await verify()).sealedThrough >= head, 20_000);
    };

    /** Runs `text` on the gateway's database, behind its back. */
    async function behindItsBack(text: string, values: unknown[]): Promise<void> {
      const schema = gateway.env.DATABASE_SCHEMA!;
      const statement = text.replaceAll('$schema', schema);
      if (database === 'postgres') {
        // PostgreSQL is shared: edit it while the gateway runs.
        const client = new pg.Client({ connectionString: DATABASE_URL });
        await client.connect();
        try {
          await client.query(statement, values);
        } finally {
          await client.end();
        }
        return;
      }
      // An embedded folder belongs to one process: stop the gateway, edit, start it again.
      const env = gateway.env;
      await gateway.stop();
      const db = await PGlite.create(folder);
      try {
        await db.query(statement, values);
      } finally {
        await db.close();
      }
      gateway = await startTestGateway({ env });
    }

    it('verifies an untouched store, then names exactly the edited event', async () => {
      const tasks: JsonBody[] = [];
      for (const [path, text] of [
        ['/agents/echo', 'one'],
        ['/acme/agents/echo', 'two'],
        ['/acme/agents/echo', 'three'],
        ['/globex/agents/echo', 'four'],
      ] as const) {
        tasks.push((await send(path, text)).body.result.task);
      }
      await sealed();
      const clean = await verify();
      expect(clean.broken).toBeUndefined();
      expect(clean.ok).toBe(true);
      expect(clean.verified).toBeGreaterThanOrEqual(12);
      expect(clean.tenants.map((t: JsonBody) => t.tenant).sort()).toEqual(['', 'acme', 'globex']);

      const response = await fetch(`${gateway.url}/acme/tasks/${tasks[2].id}/events`);
      const timeline = ((await response.json()) as JsonBody).events as {
        eventId: string;
        position: number;
        type: string;
      }[];
      const target = timeline.find((event) => event.type === 'task.artifact_appended')!;
      await behindItsBack(
        `update $schema.es_events set data = jsonb_set(data, '{artifact,parts,0,text}', '"forged"')
       where event_id = $1`,
        [target.eventId],
      );
      for (const result of [await verify(), await verify('?tenant=acme')]) {
        expect(result.ok).toBe(false);
        expect(result.broken).toMatchObject({
          reason: 'hash_mismatch',
          tenant: 'acme',
          position: target.position,
          eventId: target.eventId,
          streamId: `task-${tasks[2].id}`,
        });
        expect(result.broken.expected).toMatch(/^[0-9a-f]{64}$/);
        expect(result.broken.actual).not.toBe(result.broken.expected);
      }
      // The other tenants' chains never held it.
      expect((await verify('?tenant=globex')).ok).toBe(true);
      expect((await verify('?tenant=')).ok).toBe(true);

      const cli = await run(
        'node',
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'audit',
          'verify',
          '--tenant',
          'acme',
          '--url',
          gateway.url,
        ],
        { env: childEnv({ LOG_LEVEL: 'silent' }) },
      ).then(
        () => ({ code: 0, stdout: '' }),
        (error: { code: number; stdout: string }) => error,
      );
      expect(cli.code).toBe(1);
      expect(cli.stdout).toContain('BROKEN (hash_mismatch)');
      expect(cli.stdout).toContain(target.eventId);
      expect(cli.stdout).toContain(String(target.position));
    });

    it('refuses a second tenant parameter', async () => {
      const response = await fetch(`${gateway.url}/admin/audit/verify?tenant=a&tenant=b`);
      expect(response.status).toBe(400);
    });
  },
);
