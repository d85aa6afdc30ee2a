import { source } from '../source.js';

/**
 * `/ui/main.js`: starts the dashboard. Reads what the gateway accepts (`/ui/config.json`),
 * asks for a credential when it requires one (and again after a 401), and shows the view the
 * address names: `#agents`, `#tasks`, `#task/<id>`, `#dead-letters`, `#metrics`.
 */
export const MAIN_JS = source`
import { clearCredentials, credentials, currentSettings, loadSettings, onUnauthorized, rpc, saveCredentials } from '/ui/api.js';
import { listAgents, nameOf, showAgents } from '/ui/agents.js';
import { showDeadLetters } from '/ui/dead-letters.js';
import { el, errorText, replace } from '/ui/dom.js';
import { showMetrics } from '/ui/metrics.js';
import { showTasks } from '/ui/tasks.js';
import { showTask } from '/ui/timeline.js';

const $ = (id) => document.getElementById(id);
let stopView = () => {};

function notice(text) {
  const box = $('notice');
  box.hidden = !text;
  replace(box, text ?? '');
}

/** A hash someone typed may hold a stray %: it is then taken as written. */
function decoded(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function route() {
  stopView();
  notice('');
  const hash = decoded(location.hash.slice(1)) || 'agents';
  const [view, ...rest] = hash.split('/');
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.dataset.view === view || (view === 'task' && link.dataset.view === 'tasks'));
  }
  const main = $('view');
  if (view === 'task' && rest.length > 0) stopView = showTask(main, rest.join('/'));
  else if (view === 'tasks') stopView = showTasks(main);
  else if (view === 'dead-letters') stopView = showDeadLetters(main);
  else if (view === 'metrics') stopView = showMetrics(main);
  else stopView = showAgents(main);
}

function showApp() {
  $('login').hidden = true;
  $('nav').hidden = false;
  $('view').hidden = false;
  const stored = credentials();
  $('sign-out').hidden = !stored;
  replace($('who'), stored ? (stored.kind === 'bearer' ? 'bearer token' : 'API key') : '');
  route();
}

function showLogin(reason) {
  stopView();
  stopView = () => {};
  $('nav').hidden = true;
  $('view').hidden = true;
  $('sign-out').hidden = true;
  replace($('who'));
  $('login').hidden = false;
  const error = $('login-error');
  error.hidden = !reason;
  replace(error, reason ?? '');
  $('login-value').value = '';
  $('login-value').focus();
}

/** A cheap authenticated call: ListTasks for one task, through the first agent. */
async function probe() {
  const agents = await listAgents();
  if (agents.length === 0) return;
  await rpc(nameOf(agents[0]), 'ListTasks', { pageSize: 1, historyLength: 0 });
}

async function start() {
  let settings;
  try {
    settings = await loadSettings();
  } catch (error) {
    notice(errorText(error));
    return;
  }
  const kind = $('login-kind');
  if (settings.apiKeyHeader) kind.append(el('option', { value: 'api-key' }, 'API key (' + settings.apiKeyHeader + ')'));
  if (settings.bearer) kind.append(el('option', { value: 'bearer' }, 'Bearer token (JWT)'));

  onUnauthorized((error) => {
    clearCredentials();
    showLogin(error.message);
  });
  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    saveCredentials(kind.value, $('login-value').value.trim());
    try {
      await probe();
      showApp();
    } catch (error) {
      // A 401 has shown the form again with its reason. A 403 is a caller without the read
      // scope: signed in, and each view says what it may not see.
      if (error.status === 403) {
        showApp();
        notice(errorText(error));
      } else if (error.status !== 401) {
        clearCredentials();
        showLogin(errorText(error));
      }
    }
  });
  $('sign-out').addEventListener('click', () => {
    clearCredentials();
    showLogin('Signed out.');
  });
  window.addEventListener('hashchange', () => {
    if ($('login').hidden) route();
  });

  if (currentSettings().authRequired && !credentials()) showLogin();
  else showApp();
}

start();
`;
