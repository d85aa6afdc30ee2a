import { source } from '../source.js';

/**
 * `/ui/dom.js`: building the page safely. Text goes in as text nodes, never as HTML, so
 * nothing an agent or a caller wrote can become markup. Browser code, served as written.
 */
export const DOM_JS = source`
/** An element with attributes (on* are listeners) and children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

export const TASK_STATES = [
  'TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING', 'TASK_STATE_INPUT_REQUIRED',
  'TASK_STATE_AUTH_REQUIRED', 'TASK_STATE_COMPLETED', 'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED', 'TASK_STATE_REJECTED',
];

const TERMINAL = new Set(['TASK_STATE_COMPLETED', 'TASK_STATE_FAILED', 'TASK_STATE_CANCELED', 'TASK_STATE_REJECTED']);

export function isTerminal(state) {
  return TERMINAL.has(state);
}

/** TASK_STATE_INPUT_REQUIRED → INPUT_REQUIRED. */
export function stateName(state) {
  return String(state ?? 'unknown').replace(/^TASK_STATE_/, '');
}

/** A coloured badge for a task state, a dead letter's state or a health status. */
export function badge(state) {
  const name = stateName(state);
  const kind = name.toLowerCase().replace(/_/g, '-');
  return el('span', { class: 'state ' + kind + ' ' + String(state).toLowerCase(), dataset: { state: name } }, name);
}

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(date.getMilliseconds()).padStart(3, '0');
}

export function dateTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString(undefined, { hour12: false });
}

/** A message's or artifact's parts as readable text: text as is, data as JSON, files by name. */
export function partsText(parts) {
  return (parts ?? []).map((part) => {
    if (typeof part.text === 'string') return part.text;
    if (part.data !== undefined) return JSON.stringify(part.data);
    const name = part.filename ?? part.url ?? 'file';
    return '[' + name + (part.mediaType ? ' ' + part.mediaType : '') + ']';
  }).join('');
}

export function rawJson(value, label = 'raw') {
  return el('details', {}, el('summary', {}, label), el('pre', {}, JSON.stringify(value, null, 2)));
}

export function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}
`;
