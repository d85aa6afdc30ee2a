import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createApp } from '../../src/http/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createMemoryEventStore } from '../../src/store/index.js';
import { UI_ASSETS } from '../../src/ui/index.js';

const logger = createLogger({ level: 'silent' });
const app = (ui: boolean) =>
  createApp({ store: createMemoryEventStore(), storeKind: 'memory', logger, ui });

describe('the dashboard routes (/ui)', () => {
  const dashboard = app(true);

  it('serves the page, its stylesheet and modules with their types', async () => {
    const page = await dashboard.request('/ui');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    // Every file the page and its modules name is served.
    const named = [
      ...html.matchAll(/(?:src|href)="\/ui\/([^"]+)"/g),
      ...[...UI_ASSETS.values()].flatMap((asset) => [
        ...asset.body.matchAll(/from '\/ui\/([^']+)'/g),
      ]),
    ].map((match) => match[1]!);
    expect(named).toEqual(expect.arrayContaining(['main.js', 'dashboard.css', 'api.js']));
    for (const file of new Set(named)) {
      const response = await dashboard.request(`/ui/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type')).toMatch(
        file.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
    }
    expect((await dashboard.request('/ui/')).status).toBe(200);
  });

  it('sends the security headers on every /ui response, a 404 included', async () => {
    for (const path of ['/ui', '/ui/main.js', '/ui/config.json', '/ui/nothing.js']) {
      const response = await dashboard.request(path);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-(inline|eval)/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
    expect((await dashboard.request('/ui/nothing.js')).status).toBe(404);
  });

  it('holds browser modules that parse as ES modules', async () => {
    // A backtick or a placeholder in a module's source would cut or change it silently.
    const folder = await mkdtemp(join(tmpdir(), 'ui-modules-'));
    try {
      for (const [name, asset] of UI_ASSETS) {
        if (!name.endsWith('.js')) continue;
        const file = join(folder, name.replace(/\.js$/, '.mjs'));
        await writeFile(file, asset.body);
        const checked = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
        expect(checked.status, `${name}: ${checked.stderr}`).toBe(0);
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('has no inline script or style for the policy to refuse', async () => {
    const html = UI_ASSETS.get('')!.body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
  });

  it('answers a revalidation with 304 when the file is unchanged', async () => {
    const first = await dashboard.request('/ui/main.js');
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const again = await dashboard.request('/ui/main.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('tells the page that this gateway asks for no credentials', async () => {
    const settings = await (await dashboard.request('/ui/config.json')).json();
    expect(settings).toEqual({ authRequired: false, bearer: false, apiKeyHeader: null });
  });

  it('is not served with UI=false, and on by default', async () => {
    expect((await app(false).request('/ui')).status).toBe(404);
    expect((await app(false).request('/ui/main.js')).status).toBe(404);
    expect(loadConfig({}).UI).toBe(true);
    expect(loadConfig({ UI: 'false' }).UI).toBe(false);
    expect(() => loadConfig({ UI: 'maybe' })).toThrow(/UI/);
  });
});
