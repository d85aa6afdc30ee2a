import { source } from '../source.js';

/**
 * `/ui/dead-letters.js`: the bus's dead letters (`/admin/dead-letters`, admin scope): filter
 * by state, inspect one, retry a permanent failure.
 */
export const DEAD_LETTERS_JS = source`
import { getJson, postJson } from '/ui/api.js';
import { badge, dateTime, el, errorText, replace } from '/ui/dom.js';

const STATES = ['pending_retry', 'retrying', 'permanent_failure', 'resolved', 'purged'];

export function showDeadLetters(view) {
  let stopped = false;
  const stateSelect = el('select', { id: 'dlq-state' },
    el('option', { value: '' }, 'needing attention'),
    STATES.map((state) => el('option', { value: state }, state)));
  const rows = el('tbody', { id: 'dlq-rows' });
  const message = el('p', { id: 'dlq-message', class: 'muted', hidden: true });
  const error = el('p', { id: 'dlq-error', class: 'error', hidden: true });
  const detail = el('div', { id: 'dlq-detail' });
  const reload = el('button', { type: 'button', class: 'secondary' }, 'Reload');
  stateSelect.addEventListener('change', () => load());
  reload.addEventListener('click', () => load());

  replace(view,
    el('h2', {}, 'Dead letters'),
    el('div', { class: 'panel' },
      el('div', { class: 'toolbar' }, el('label', {}, 'State', stateSelect), el('span', { class: 'spacer' }), reload),
      message, error,
      el('table', {},
        el('thead', {}, el('tr', {}, ['Id', 'Topic', 'Group', 'State', 'Attempts', 'Last error', 'Updated', ''].map((h) => el('th', {}, h)))),
        rows)),
    detail,
  );

  function say(text) {
    message.hidden = false;
    replace(message, text);
  }

  async function load() {
    try {
      const query = stateSelect.value ? '?state=' + encodeURIComponent(stateSelect.value) : '';
      const body = await getJson('/admin/dead-letters' + query);
      if (stopped) return;
      error.hidden = true;
      const entries = body.deadLetters ?? [];
      replace(rows, entries.length === 0
        ? el('tr', {}, el('td', { colspan: 8, class: 'muted' }, 'No dead letter.'))
        : entries.map(row));
    } catch (failure) {
      if (stopped) return;
      error.hidden = false;
      replace(error, errorText(failure));
      replace(rows);
    }
  }

  function row(entry) {
    const retry = el('button', { type: 'button', class: 'retry', hidden: entry.state !== 'permanent_failure' }, 'Retry');
    retry.addEventListener('click', async (event) => {
      event.stopPropagation();
      retry.disabled = true;
      try {
        const result = await postJson('/admin/dead-letters/' + encodeURIComponent(entry.id) + '/retry');
        say('Retried ' + entry.id + ': now ' + (result?.state ?? 'queued again'));
      } catch (failure) {
        error.hidden = false;
        replace(error, errorText(failure));
      }
      await load();
    });
    const inspect = async () => {
      try {
        const full = await getJson('/admin/dead-letters/' + encodeURIComponent(entry.id));
        replace(detail, el('div', { class: 'panel' }, el('h3', {}, 'Dead letter ', el('span', { class: 'mono' }, entry.id)),
          el('pre', { id: 'dlq-entry' }, JSON.stringify(full, null, 2))));
      } catch (failure) {
        replace(detail, el('p', { class: 'error' }, errorText(failure)));
      }
    };
    return el('tr', { class: 'clickable', dataset: { deadLetter: entry.id, state: entry.state }, onclick: inspect },
      el('td', { class: 'mono' }, entry.id),
      el('td', {}, entry.topic),
      el('td', {}, entry.group),
      el('td', {}, badge(entry.state)),
      el('td', {}, String(entry.attempts)),
      el('td', {}, entry.lastError),
      el('td', {}, dateTime(entry.updatedAt)),
      el('td', {}, retry),
    );
  }

  load();
  return () => {
    stopped = true;
  };
}
`;
