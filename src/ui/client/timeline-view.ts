import { source } from '../source.js';

/**
 * `/ui/timeline.js`: one task's timeline from the audit route, followed live over SSE until
 * the task ends: every event, the conversation's messages and the artifacts as assembled
 * from their chunks. A stream cut before the end is opened again and the replayed events are
 * dropped by their position.
 */
export const TIMELINE_JS = source`
import { request, rpc } from '/ui/api.js';
import { rememberAgent } from '/ui/tasks.js';
import { badge, el, errorText, isTerminal, partsText, rawJson, replace, time } from '/ui/dom.js';
import { readSse } from '/ui/sse.js';

const RECONNECT_MS = [500, 1000, 2000, 5000];

export function showTask(view, taskId) {
  const abort = new AbortController();
  const seen = new Set();
  const task = { state: undefined, agent: undefined, contextId: undefined };
  const messages = [];
  const artifacts = new Map();

  const state = el('span', { id: 'task-state' });
  const live = el('span', { class: 'live', id: 'task-live' }, 'connecting…');
  const facts = el('dl', { class: 'kv', id: 'task-facts' });
  const events = el('ol', { class: 'timeline', id: 'task-events' });
  const messageList = el('div', { id: 'task-messages' }, el('p', { class: 'muted' }, 'none yet'));
  const artifactList = el('div', { id: 'task-artifacts' }, el('p', { class: 'muted' }, 'none yet'));
  const error = el('p', { class: 'error', id: 'task-error', hidden: true });
  const cancel = el('button', { type: 'button', class: 'secondary', id: 'task-cancel', hidden: true }, 'Cancel task');
  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    try {
      await rpc(task.agent, 'CancelTask', { id: taskId });
    } catch (failure) {
      showError(failure);
      cancel.disabled = false;
    }
  });

  replace(view,
    el('p', {}, el('a', { href: '#tasks' }, '← Tasks')),
    el('h2', {}, 'Task ', el('span', { class: 'mono', id: 'task-id' }, taskId), ' ', state),
    error,
    el('div', { class: 'panel' }, el('div', { class: 'toolbar' }, facts, el('span', { class: 'spacer' }), cancel, live)),
    el('div', { class: 'columns' },
      el('div', { class: 'panel' }, el('h3', {}, 'Messages'), messageList),
      el('div', { class: 'panel' }, el('h3', {}, 'Artifacts'), artifactList)),
    el('div', { class: 'panel' }, el('h3', {}, 'Events'), events),
  );

  function showError(failure) {
    error.hidden = false;
    replace(error, errorText(failure));
  }

  function renderFacts() {
    replace(facts,
      el('dt', {}, 'agent'), el('dd', {}, task.agent ?? ''),
      el('dt', {}, 'context'), el('dd', { class: 'mono' }, task.contextId ?? ''),
      el('dt', {}, 'events'), el('dd', { id: 'task-event-count' }, String(seen.size)));
    replace(state, task.state ? badge(task.state) : '');
    cancel.hidden = !task.agent || !task.state || isTerminal(task.state);
  }

  function addMessage(message, why) {
    if (!message) return;
    messages.push(message);
    if (messages.length === 1) replace(messageList);
    messageList.append(el('div', { class: 'message', dataset: { role: message.role ?? '' } },
      el('strong', {}, (message.role ?? '').replace(/^ROLE_/, '').toLowerCase() || 'message'),
      el('span', { class: 'muted' }, ' (' + why + '): '),
      partsText(message.parts)));
  }

  function addArtifact(data) {
    const { artifact } = data;
    const known = artifacts.get(artifact.artifactId);
    const parts = data.append && known ? [...known.parts, ...(artifact.parts ?? [])] : [...(artifact.parts ?? [])];
    artifacts.set(artifact.artifactId, { ...artifact, parts, complete: data.lastChunk === true });
    replace(artifactList, [...artifacts.values()].map((entry) =>
      el('div', { class: 'artifact', dataset: { artifactId: entry.artifactId } },
        el('strong', {}, entry.name ?? entry.artifactId),
        entry.complete ? '' : el('span', { class: 'muted' }, ' (streaming)'),
        el('pre', {}, partsText(entry.parts)))));
  }

  /** Folds one audit entry into what the page shows; returns its one-line summary. */
  function apply(entry) {
    const data = entry.data ?? {};
    switch (entry.type) {
      case 'task.submitted':
        task.agent = data.agent;
        task.contextId = data.contextId;
        task.state = task.state ?? 'TASK_STATE_SUBMITTED';
        rememberAgent(taskId, data.agent);
        addMessage(data.message, 'submitted');
        return 'to agent ' + data.agent + ': ' + partsText(data.message?.parts);
      case 'task.message_received':
        addMessage(data.message, 'follow-up');
        return partsText(data.message?.parts);
      case 'task.execution_started':
        return 'run attempt ' + data.attempt + ' on ' + data.instance + (data.resumed ? ' (resumed)' : '');
      case 'task.status_changed':
        task.state = data.status?.state;
        addMessage(data.status?.message, 'status');
        return [badge(data.status?.state), ' ', partsText(data.status?.message?.parts)];
      case 'task.artifact_appended':
        addArtifact(data);
        return (data.artifact?.name ?? data.artifact?.artifactId) + (data.append ? ' +' : ' ') + partsText(data.artifact?.parts) + (data.lastChunk ? ' (last chunk)' : '');
      case 'task.replied':
        addMessage(data.message, 'reply');
        return partsText(data.message?.parts);
      case 'task.delegated':
        return 'delegated to ' + data.cardUrl + ' as ' + data.remoteTaskId;
      case 'task.push_config_set':
        return 'webhook ' + data.config?.id + ': ' + data.config?.url;
      case 'task.push_config_deleted':
        return 'webhook ' + data.id + ' removed';
      default:
        return '';
    }
  }

  function add(entry) {
    if (seen.has(entry.position)) return;
    seen.add(entry.position);
    const summary = apply(entry);
    events.append(el('li', { dataset: { type: entry.type, position: entry.position } },
      el('span', { class: 'when', title: entry.timestamp }, time(entry.timestamp)),
      el('span', { class: 'type' }, entry.type.replace(/^task\./, ''), el('br'), el('span', { class: 'muted' }, entry.principal ?? '')),
      el('div', {}, summary, rawJson(entry, 'event'))));
    renderFacts();
  }

  async function follow() {
    for (let attempt = 0; !abort.signal.aborted; attempt += 1) {
      try {
        const response = await request('/tasks/' + encodeURIComponent(taskId) + '/events', {
          headers: { Accept: 'text/event-stream' },
          signal: abort.signal,
        });
        live.className = 'live on';
        replace(live, 'live');
        error.hidden = true;
        for await (const message of readSse(response.body)) {
          add(JSON.parse(message.data));
          attempt = 0;
        }
      } catch (failure) {
        if (abort.signal.aborted) return;
        showError(failure);
        // Refused or absent: trying again will not help.
        if (failure.status && failure.status < 500) {
          live.className = 'live';
          replace(live, 'not following');
          return;
        }
      }
      if (isTerminal(task.state)) {
        live.className = 'live';
        replace(live, 'ended: the task is ' + task.state.replace(/^TASK_STATE_/, '').toLowerCase());
        return;
      }
      live.className = 'live';
      replace(live, 'reconnecting…');
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)]));
    }
  }

  renderFacts();
  follow();
  return () => abort.abort();
}
`;
