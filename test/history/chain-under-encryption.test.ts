import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import {
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { DATABASE_URL, suiteTitle } from '../support/services.js';

// The chain seals events as stored: with PII encryption on that is ciphertext, so shredding a
// tenant (its plaintext gone for good) leaves every link intact.
describe.skipIf(!DATABASE_URL)(
  suiteTitle('the audit chain under PII encryption (PostgreSQL)', 'DATABASE_URL'),
  () => {
    let gateway: TestGateway;
    let db: pg.Client;
    beforeAll(async () => {
      gateway = await startTestGateway({
        database: 'postgres',
        env: { PII_ENCRYPTION: 'true', ENCRYPTION_MASTER_KEY: randomBytes(32).toString('base64') },
      });
      db = new pg.Client({ connectionString: DATABASE_URL });
      await db.connect();
    });
    afterAll(async () => {
      await db?.end();
      await gateway?.stop();
    });

    const verify = async () => {
      const response = await fetch(`${gateway.url}/admin/audit/verify?tenant=acme`);
      expect(response.status).toBe(200);
      return (await response.json()) as JsonBody;
    };

    it('seals ciphertext, and still verifies once the tenant is shredded', async () => {
      const sent = await rpc(`${gateway.url}/acme/agents/echo`, {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message: userMessage('a secret only acme knows') },
      });
      const taskId = sent.body.result.task.id as string;
      const head = await gateway.gateway.store.headPosition();
      await eventually(async () => (await verify()).sealedThrough >= head, 20_000);

      const stored = await db.query(
        `select data::text as data from ${gateway.env.DATABASE_SCHEMA}.es_events
        where stream_id = $1 and type = 'task.submitted'`,
        [`task-${taskId}`],
      );
      expect(stored.rows[0].data).toContain('"$enc"');
      expect(stored.rows[0].data).not.toContain('a secret only acme knows');
      const before = await verify();
      expect(before.ok).toBe(true);
      expect(before.verified).toBeGreaterThanOrEqual(3);

      const shred = await fetch(`${gateway.url}/admin/tenants/acme/key`, { method: 'DELETE' });
      expect(shred.status).toBe(200);
      const after = await verify();
      expect(after.ok).toBe(true);
      expect(after.verified).toBe(before.verified);
      const timeline = (await (
        await fetch(`${gateway.url}/acme/tasks/${taskId}/events`)
      ).json()) as JsonBody;
      const submitted = timeline.events.find((event: JsonBody) => event.type === 'task.submitted');
      expect(submitted.data.message.parts[0].text).toEqual({ $redacted: 'shredded' });
    });
  },
);
