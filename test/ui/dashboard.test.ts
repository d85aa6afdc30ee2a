import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import {
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { type IdentityProvider, startIdentityProvider } from '../support/identity-provider.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { browserSuiteTitle, chromiumPresent, isPng, launchChromium } from './browser.js';

/** The task ids the list shows now, top to bottom. */
const listedTasks = (page: Page) =>
  page.$$eval('#task-rows tr[data-task-id]', (rows) =>
    rows.map((row) => row.getAttribute('data-task-id')),
  );

async function send(
  url: string,
  agent: string,
  text: string,
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): Promise<JsonBody> {
  const { body } = await rpc(
    `${url}/agents/${agent}`,
    { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: userMessage(text, extra) } },
    headers,
  );
  expect(body.result?.task, JSON.stringify(body)).toBeDefined();
  return body.result.task;
}

describe.skipIf(!chromiumPresent)(
  browserSuiteTitle('the dashboard in Chromium, gateway without authentication'),
  () => {
    let gateway: TestGateway;
    let webhook: WebhookReceiver;
    let browser: Browser;
    let page: Page;
    let shots: string;
    const scriptErrors: string[] = [];

    beforeAll(async () => {
      webhook = await startWebhookReceiver();
      webhook.answer(500);
      gateway = await startTestGateway({
        env: { PUSH_ALLOW_HOSTS: `127.0.0.1:${webhook.port}`, PUSH_MAX_ATTEMPTS: '1' },
      });
      shots = await mkdtemp(join(tmpdir(), 'dashboard-shots-'));
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      // Under vitest's 30 s: a wait that fails says what it waited for.
      page.setDefaultTimeout(20_000);
      page.on('pageerror', (error) => scriptErrors.push(error.message));
    });
    afterAll(async () => {
      await browser?.close();
      await gateway?.stop();
      await webhook?.close();
      if (shots) await rm(shots, { recursive: true, force: true });
    });

    it('serves the page under a strict policy and lists the agents with their cards', async () => {
      const response = await page.goto(`${gateway.url}/ui`);
      expect(response?.status()).toBe(200);
      const headers = response!.headers();
      expect(headers['content-security-policy']).toContain("script-src 'self'");
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(headers['x-content-type-options']).toBe('nosniff');

      await page.locator('[data-agent="echo"]').waitFor();
      const agents = await page.$$eval('[data-agent]', (cards) =>
        cards.map((card) => card.getAttribute('data-agent')),
      );
      expect(agents).toEqual(expect.arrayContaining(['echo', 'hasty', 'text-only']));
      expect(await page.locator('[data-agent="echo"]').textContent()).toContain('/stream N');
      // No sign-in on a gateway that does not ask for credentials.
      expect(await page.locator('#login').isHidden()).toBe(true);
    });

    it('sends a task from the form and follows it live to COMPLETED in its timeline', async () => {
      await page.goto(`${gateway.url}/ui#tasks`);
      await page.locator('#send-agent option[value="echo"]').waitFor({ state: 'attached' });
      await page.selectOption('#send-agent', 'echo');
      await page.fill('#send-text', '/sleep 3000');
      await page.click('#send-form button[type=submit]');
      await page.waitForURL(/#task\//);
      const taskId = decodeURIComponent(new URL(page.url()).hash.slice('#task/'.length));

      // Seen working before the task completed, then completed on the same page: live.
      await page.locator('#task-state [data-state="WORKING"]').waitFor();
      const workingSeenAt = Date.now();
      await page.locator('#task-state [data-state="COMPLETED"]').waitFor();
      await page.locator('#task-live', { hasText: 'ended' }).waitFor();
      const completedAt = await page
        .locator('#task-events li[data-type="task.status_changed"] .when')
        .last()
        .getAttribute('title');
      expect(workingSeenAt).toBeLessThan(Date.parse(completedAt!));
      const types = await page.$$eval('#task-events li', (items) =>
        items.map((item) => item.getAttribute('data-type')),
      );
      expect(types[0]).toBe('task.submitted');
      expect(types).toEqual(
        expect.arrayContaining(['task.status_changed', 'task.artifact_appended']),
      );
      expect(types.at(-1)).toBe('task.status_changed');
      expect(await page.locator('#task-artifacts').textContent()).toContain('slept 3000 ms');
      expect(await page.locator('#task-messages').textContent()).toContain('/sleep 3000');

      const { body } = await rpc(`${gateway.url}/agents/echo`, {
        jsonrpc: '2.0',
        id: 2,
        method: 'GetTask',
        params: { id: taskId },
      });
      expect(body.result.status.state).toBe('TASK_STATE_COMPLETED');

      const file = join(shots, 'timeline.png');
      await page.screenshot({ path: file, fullPage: true });
      expect(isPng(await readFile(file))).toBe(true);
    });

    it('filters the task list by state, context and agent', async () => {
      const contextId = `ctx-ui-${Date.now().toString(36)}`;
      const inContext = await send(gateway.url, 'echo', 'in a context', {}, { contextId });
      const failed = await send(gateway.url, 'echo', '/fail');
      const hasty = await send(gateway.url, 'hasty', 'quick');

      await page.goto(`${gateway.url}/ui#tasks`);
      await expect.poll(() => listedTasks(page)).toContain(hasty.id);

      await page.selectOption('#filter-state', 'TASK_STATE_FAILED');
      await expect.poll(() => listedTasks(page)).toEqual([failed.id]);

      await page.selectOption('#filter-state', '');
      await page.fill('#filter-context', contextId);
      await page.press('#filter-context', 'Tab');
      await expect.poll(() => listedTasks(page)).toEqual([inContext.id]);

      await page.fill('#filter-context', '');
      await page.press('#filter-context', 'Tab');
      await page.selectOption('#filter-agent', 'hasty');
      await expect.poll(() => listedTasks(page)).toEqual([hasty.id]);
      expect(
        await page.locator(`#task-rows tr[data-task-id="${hasty.id}"] td.agent`).textContent(),
      ).toBe('hasty');
      await page.selectOption('#filter-agent', '');
    });

    it('lists a dead letter and retries it', async () => {
      const waiting = await send(gateway.url, 'echo', '/input');
      const { body: created } = await rpc(`${gateway.url}/agents/echo`, {
        jsonrpc: '2.0',
        id: 3,
        method: 'CreateTaskPushNotificationConfig',
        params: { taskId: waiting.id, url: `${webhook.origin}/hook` },
      });
      expect(created.error, JSON.stringify(created)).toBeUndefined();
      await send(gateway.url, 'echo', 'done now', {}, { taskId: waiting.id });
      // One attempt (PUSH_MAX_ATTEMPTS=1) answered 500: a permanent failure.
      const deadLetters = gateway.gateway.bus.deadLetters;
      const ours = async () =>
        (await deadLetters.list({ states: ['permanent_failure'] })).filter(
          (entry) => (entry.envelope.payload as { taskId: string }).taskId === waiting.id,
        );
      await eventually(async () => (await ours()).length > 0, 20_000);
      const [entry] = await ours();
      webhook.answer(200);

      await page.goto(`${gateway.url}/ui#dead-letters`);
      const row = page.locator(`#dlq-rows tr[data-dead-letter="${entry!.id}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain('answered 500');
      await row.locator('button.retry').click();
      await page.locator('#dlq-message', { hasText: `Retried ${entry!.id}` }).waitFor();
      await eventually(
        async () => (await deadLetters.get(entry!.id))?.state === 'resolved',
        20_000,
      );
      // Resolved entries leave the default list, which shows what needs attention.
      await page.selectOption('#dlq-state', 'resolved');
      await page
        .locator(`#dlq-rows tr[data-dead-letter="${entry!.id}"][data-state="resolved"]`)
        .waitFor();
    });

    it('shows the health at a glance, and Prometheus lines only when /metrics answers', async () => {
      await page.goto(`${gateway.url}/ui#metrics`);
      await page.locator('#health [data-state="ok"]').waitFor();
      expect(await page.locator('#health').textContent()).toContain('pglite');
      const metrics = await fetch(`${gateway.url}/metrics`);
      await metrics.body?.cancel();
      if (metrics.ok) {
        await page.locator('#metrics-lines').waitFor();
      } else {
        // The panel decides after its request: wait for the health poll that follows it.
        await page.locator('#health dd[data-stat]').first().waitFor();
        expect(await page.locator('#metrics-panel').isHidden()).toBe(true);
      }
    });

    it('ran without a script error', () => {
      expect(scriptErrors).toEqual([]);
    });
  },
);

describe.skipIf(!chromiumPresent)(
  browserSuiteTitle('the dashboard in Chromium, gateway requiring authentication'),
  () => {
    let idp: IdentityProvider;
    let gateway: TestGateway;
    let browser: Browser;
    let page: Page;
    /** An API key of tenant acme with the default scopes (send, read, cancel; not admin). */
    let key: string;

    beforeAll(async () => {
      idp = await startIdentityProvider();
      gateway = await startTestGateway({
        env: {
          AUTH_ISSUERS: idp.authIssuers,
          AUTH_API_KEYS: 'true',
        },
      });
      const admin = await idp.token({ sub: 'ops', scope: 'a2a:admin' });
      const made = await fetch(`${gateway.url}/admin/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ principal: 'ui-user', tenant: 'acme' }),
      });
      expect(made.status).toBe(201);
      key = ((await made.json()) as { key: string }).key;
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(20_000);
    });
    afterAll(async () => {
      await browser?.close();
      await gateway?.stop();
      await idp?.close();
    });

    it('asks for a credential first, refuses a wrong one and works with a valid API key', async () => {
      await page.goto(`${gateway.url}/ui`);
      await page.locator('#login').waitFor();
      expect(await page.locator('#nav').isHidden()).toBe(true);
      expect(await page.locator('#view').isHidden()).toBe(true);
      expect(await page.locator('#login-kind option').allTextContents()).toEqual([
        'API key (X-API-Key)',
        'Bearer token (JWT)',
      ]);

      await page.selectOption('#login-kind', 'api-key');
      await page.fill('#login-value', `a2a_000000000000_${'x'.repeat(43)}`);
      await page.click('#login-form button[type=submit]');
      await page.locator('#login-error', { hasText: '401' }).waitFor();
      expect(await page.locator('#nav').isHidden()).toBe(true);

      await page.selectOption('#login-kind', 'api-key');
      await page.fill('#login-value', key);
      await page.click('#login-form button[type=submit]');
      await page.locator('#nav').waitFor();
      await page.locator('[data-agent="echo"]').waitFor();
      expect(
        await page.evaluate(() => sessionStorage.getItem('a2a-gateway-ui.credentials')),
      ).toContain(key);

      // The key's tasks, listed and followed with the key (the SSE request carries it too).
      const task = await send(gateway.url, 'echo', 'with a key', { 'x-api-key': key });
      await page.click('a[data-view=tasks]');
      await expect.poll(() => listedTasks(page)).toContain(task.id);
      await page.click(`#task-rows tr[data-task-id="${task.id}"] a`);
      await page.locator('#task-state [data-state="COMPLETED"]').waitFor();
      expect(await page.locator('#task-facts').textContent()).toContain('echo');

      // Dead letters need the admin scope, which this key lacks: said, not hidden.
      await page.click('a[data-view=dead-letters]');
      await page.locator('#dlq-error', { hasText: 'Forbidden (403)' }).waitFor();
      expect(await page.locator('#dlq-error').textContent()).toContain('a2a:admin');
      expect(await page.locator('#login').isHidden()).toBe(true);

      await page.click('#sign-out');
      await page.locator('#login').waitFor();
      expect(
        await page.evaluate(() => sessionStorage.getItem('a2a-gateway-ui.credentials')),
      ).toBeNull();
    });

    it('serves no data to the page without credentials', async () => {
      const anonymous = await fetch(`${gateway.url}/tasks/anything/events`);
      expect(anonymous.status).toBe(401);
      const settings = await (await fetch(`${gateway.url}/ui/config.json`)).json();
      expect(settings).toEqual({ authRequired: true, bearer: true, apiKeyHeader: 'X-API-Key' });
    });
  },
);
