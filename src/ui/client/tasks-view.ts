import { source } from '../source.js';

/**
 * `/ui/tasks.js`: the task list (ListTasks) with filters by agent, state and context, kept
 * current by polling while it is shown, and a form that sends a message to an agent.
 * ListTasks covers every agent of the caller's tenant and its tasks do not name their agent:
 * the agent of each listed task is read once from its timeline (`task.submitted`) and kept.
 */
export const TASKS_JS = source`
import { getJson, rpc } from '/ui/api.js';
import { listAgents, nameOf } from '/ui/agents.js';
import { badge, dateTime, el, errorText, replace, stateName, TASK_STATES } from '/ui/dom.js';

const POLL_MS = 2000;
const PAGE_SIZE = 50;
/** With an agent filter, the newest tasks of this many (ListTasks' largest page) are looked through. */
const AGENT_SCAN = 100;

/** Kept across views: coming back to the list finds the same filters. */
const filters = { agent: '', state: '', context: '' };
/** Task id → agent name: a task never changes agent. */
const agentOfTask = new Map();

export function rememberAgent(taskId, agent) {
  agentOfTask.set(taskId, agent);
}

export async function agentOf(taskId) {
  if (agentOfTask.has(taskId)) return agentOfTask.get(taskId);
  const timeline = await getJson('/tasks/' + encodeURIComponent(taskId) + '/events');
  const submitted = (timeline.events ?? []).find((event) => event.type === 'task.submitted');
  const agent = submitted?.data?.agent ?? '';
  agentOfTask.set(taskId, agent);
  return agent;
}

/** Resolves the agents of tasks, four timelines at a time. */
async function resolveAgents(tasks) {
  const queue = tasks.filter((task) => !agentOfTask.has(task.id));
  const worker = async () => {
    for (let task = queue.shift(); task; task = queue.shift()) await agentOf(task.id).catch(() => '');
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

export function showTasks(view) {
  let stopped = false;
  let timer;
  let endpoint;
  const status = el('span', { class: 'live', id: 'tasks-status' });
  const rows = el('tbody', { id: 'task-rows' });
  const total = el('span', { class: 'muted', id: 'tasks-total' });
  const error = el('p', { class: 'error', id: 'tasks-error', hidden: true });
  const agentSelect = el('select', { name: 'agent', id: 'filter-agent' }, el('option', { value: '' }, 'any agent'));
  const stateSelect = el('select', { name: 'state', id: 'filter-state' }, el('option', { value: '' }, 'any state'),
    TASK_STATES.map((state) => el('option', { value: state }, stateName(state))));
  const contextInput = el('input', { name: 'context', id: 'filter-context', placeholder: 'context id', size: 38 });
  const sendAgent = el('select', { name: 'agent', id: 'send-agent' });
  const sendText = el('input', { name: 'text', id: 'send-text', placeholder: 'message text, e.g. /sleep 2000', required: true });
  const sendResult = el('span', { class: 'muted', id: 'send-result' });
  stateSelect.value = filters.state;
  contextInput.value = filters.context;

  const refresh = () => {
    clearTimeout(timer);
    load().finally(() => {
      if (!stopped) timer = setTimeout(refresh, POLL_MS);
    });
  };
  const onFilter = () => {
    filters.agent = agentSelect.value;
    filters.state = stateSelect.value;
    filters.context = contextInput.value.trim();
    refresh();
  };
  agentSelect.addEventListener('change', onFilter);
  stateSelect.addEventListener('change', onFilter);
  contextInput.addEventListener('change', onFilter);

  const sendForm = el('form', { class: 'send', id: 'send-form' },
    el('label', {}, 'Agent', sendAgent),
    el('label', {}, 'Message', sendText),
    el('button', { type: 'submit' }, 'Send'),
    sendResult,
  );
  sendForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const agent = sendAgent.value;
    const text = sendText.value;
    replace(sendResult, 'sending…');
    try {
      const result = await rpc(agent, 'SendMessage', {
        message: { messageId: crypto.randomUUID(), role: 'ROLE_USER', parts: [{ text }] },
        configuration: { returnImmediately: true },
      });
      if (result.task) {
        rememberAgent(result.task.id, agent);
        location.hash = '#task/' + encodeURIComponent(result.task.id);
      } else {
        replace(sendResult, 'reply: ' + JSON.stringify(result.message?.parts ?? result));
      }
    } catch (failure) {
      replace(sendResult, el('span', { class: 'error' }, errorText(failure)));
    }
  });

  replace(view,
    el('h2', {}, 'Tasks'),
    el('div', { class: 'panel' }, el('h3', {}, 'Send a message'), sendForm),
    el('div', { class: 'panel' },
      el('div', { class: 'toolbar' },
        el('div', { class: 'filters' },
          el('label', {}, 'Agent', agentSelect),
          el('label', {}, 'State', stateSelect),
          el('label', {}, 'Context', contextInput),
        ),
        el('span', { class: 'spacer' }), total, status),
      error,
      el('table', {},
        el('thead', {}, el('tr', {}, ['Task', 'State', 'Agent', 'Context', 'Status changed'].map((h) => el('th', {}, h)))),
        rows),
    ),
  );

  async function load() {
    try {
      if (!endpoint) {
        const agents = (await listAgents()).map(nameOf);
        if (stopped) return;
        endpoint = agents[0];
        for (const select of [agentSelect, sendAgent]) {
          for (const name of agents) select.append(el('option', { value: name }, name));
        }
        agentSelect.value = filters.agent;
      }
      if (!endpoint) throw new Error('no agent is hosted: nothing to list tasks through');
      const page = await rpc(endpoint, 'ListTasks', {
        pageSize: filters.agent ? AGENT_SCAN : PAGE_SIZE,
        historyLength: 0,
        ...(filters.state ? { status: filters.state } : {}),
        ...(filters.context ? { contextId: filters.context } : {}),
      });
      let tasks = page.tasks ?? [];
      if (filters.agent) {
        await resolveAgents(tasks);
        tasks = tasks.filter((task) => agentOfTask.get(task.id) === filters.agent).slice(0, PAGE_SIZE);
      } else {
        // The agent column fills in as the timelines answer; the list does not wait for them.
        resolveAgents(tasks).then(() => fillAgents(rows));
      }
      if (stopped) return;
      error.hidden = true;
      replace(total, filters.agent
        ? tasks.length + ' of the newest ' + Math.min(AGENT_SCAN, page.totalSize) + ' tasks'
        : tasks.length + ' of ' + page.totalSize + ' tasks');
      replace(rows, tasks.length === 0
        ? el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No task matches.'))
        : tasks.map(taskRow));
      status.className = 'live on';
      replace(status, 'live, updated ' + new Date().toLocaleTimeString(undefined, { hour12: false }));
    } catch (failure) {
      if (stopped) return;
      status.className = 'live';
      replace(status, 'not updating');
      error.hidden = false;
      replace(error, errorText(failure));
    }
  }

  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function fillAgents(rows) {
  for (const row of rows.querySelectorAll('tr[data-task-id]')) {
    const cell = row.querySelector('td.agent');
    if (cell && !cell.textContent) cell.textContent = agentOfTask.get(row.dataset.taskId) ?? '';
  }
}

function taskRow(task) {
  const open = () => {
    location.hash = '#task/' + encodeURIComponent(task.id);
  };
  return el('tr', { class: 'clickable', dataset: { taskId: task.id }, onclick: open },
    el('td', { class: 'mono' }, el('a', { href: '#task/' + encodeURIComponent(task.id) }, task.id)),
    el('td', {}, badge(task.status?.state)),
    el('td', { class: 'agent' }, agentOfTask.get(task.id) ?? ''),
    el('td', { class: 'mono' }, task.contextId),
    el('td', {}, dateTime(task.status?.timestamp)),
  );
}
`;
