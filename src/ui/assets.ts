import { createHash } from 'node:crypto';
import { AGENTS_JS } from './client/agents-view.js';
import { API_JS } from './client/api.js';
import { DEAD_LETTERS_JS } from './client/dead-letters-view.js';
import { DOM_JS } from './client/dom.js';
import { MAIN_JS } from './client/main.js';
import { METRICS_JS } from './client/metrics-view.js';
import { SSE_JS } from './client/sse.js';
import { TASKS_JS } from './client/tasks-view.js';
import { TIMELINE_JS } from './client/timeline-view.js';
import { SHELL_HTML } from './shell.js';
import { DASHBOARD_CSS } from './styles.js';

export interface UiAsset {
  contentType: string;
  body: string;
  /** A strong validator of the body: the browser revalidates, and an unchanged file is a 304. */
  etag: string;
}

const JS = 'text/javascript; charset=utf-8';

function asset(contentType: string, body: string): UiAsset {
  return { contentType, body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

/**
 * The dashboard's files by their name under `/ui/`; `''` is the page. They live in these
 * modules, not beside them, so the compiled gateway (dist/, the container) carries them with
 * nothing to copy.
 */
export const UI_ASSETS: ReadonlyMap<string, UiAsset> = new Map([
  ['', asset('text/html; charset=utf-8', SHELL_HTML)],
  ['dashboard.css', asset('text/css; charset=utf-8', DASHBOARD_CSS)],
  ['main.js', asset(JS, MAIN_JS)],
  ['api.js', asset(JS, API_JS)],
  ['dom.js', asset(JS, DOM_JS)],
  ['sse.js', asset(JS, SSE_JS)],
  ['agents.js', asset(JS, AGENTS_JS)],
  ['tasks.js', asset(JS, TASKS_JS)],
  ['timeline.js', asset(JS, TIMELINE_JS)],
  ['dead-letters.js', asset(JS, DEAD_LETTERS_JS)],
  ['metrics.js', asset(JS, METRICS_JS)],
]);
