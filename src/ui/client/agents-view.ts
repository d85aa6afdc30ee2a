import { source } from '../source.js';

/** `/ui/agents.js`: the hosted agents and their cards (`GET /agents`), with their health. */
export const AGENTS_JS = source`
import { getJson } from '/ui/api.js';
import { badge, el, errorText, rawJson, replace } from '/ui/dom.js';

export async function listAgents() {
  const body = await getJson('/agents');
  return body.agents ?? [];
}

export function showAgents(view) {
  const list = el('div', { class: 'cards', id: 'agent-cards' }, el('p', { class: 'muted' }, 'Loading agents…'));
  replace(view, el('h2', {}, 'Agents'), list);
  (async () => {
    try {
      const [agents, health] = await Promise.all([
        listAgents(),
        fetch('/healthz', { cache: 'no-store' }).then((r) => r.json()).catch(() => ({})),
      ]);
      if (agents.length === 0) return replace(list, el('p', { class: 'muted' }, 'No agent has a card yet.'));
      replace(list, agents.map((card) => agentCard(card, health.agents?.[nameOf(card)])));
    } catch (error) {
      replace(list, el('p', { class: 'error' }, errorText(error)));
    }
  })();
  return () => {};
}

/** The agent's name as the gateway routes it: the last path segment of its interface URL. */
export function nameOf(card) {
  const url = card.supportedInterfaces?.[0]?.url ?? card.url ?? '';
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? card.name);
  } catch {
    return card.name;
  }
}

function agentCard(card, health) {
  const capabilities = Object.entries(card.capabilities ?? {})
    .filter(([, on]) => on === true)
    .map(([name]) => name)
    .join(', ');
  const schemes = Object.keys(card.securitySchemes ?? {}).join(', ');
  return el('article', { class: 'panel card', dataset: { agent: nameOf(card) } },
    el('h3', {}, card.name, health ? badge(health.status) : null),
    card.description ? el('p', {}, card.description) : null,
    el('dl', {},
      el('dt', {}, 'endpoint'), el('dd', { class: 'mono' }, card.supportedInterfaces?.[0]?.url ?? ''),
      el('dt', {}, 'version'), el('dd', {}, card.version ?? ''),
      el('dt', {}, 'capabilities'), el('dd', {}, capabilities || 'none'),
      el('dt', {}, 'input'), el('dd', {}, (card.defaultInputModes ?? []).join(', ')),
      el('dt', {}, 'output'), el('dd', {}, (card.defaultOutputModes ?? []).join(', ')),
      el('dt', {}, 'security'), el('dd', {}, schemes || 'none'),
      health?.detail ? [el('dt', {}, 'health'), el('dd', {}, health.detail)] : null,
    ),
    (card.skills ?? []).length > 0
      ? el('ul', { class: 'skills' }, card.skills.map((skill) =>
          el('li', {}, el('strong', {}, skill.name), skill.description ? ': ' + skill.description : '')))
      : null,
    rawJson(card, 'card JSON'),
  );
}
`;
