import { source } from '../source.js';

/**
 * `/ui/api.js`: how the dashboard talks to the gateway. Every call carries the credentials the
 * user entered (kept in sessionStorage: gone with the tab); a 401 tells the page to ask for
 * them again. Browser code, served as written: no backticks or template placeholders inside.
 */
export const API_JS = source`
const STORAGE_KEY = 'a2a-gateway-ui.credentials';

/** What the gateway accepts: from /ui/config.json, loaded once at start. */
let settings = { authRequired: false, bearer: false, apiKeyHeader: null };

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export async function loadSettings() {
  const response = await fetch('/ui/config.json', { cache: 'no-store' });
  if (!response.ok) throw new ApiError(response.status, 'the dashboard settings did not load');
  settings = await response.json();
  return settings;
}

export function currentSettings() {
  return settings;
}

export function credentials() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    return stored && typeof stored.value === 'string' ? stored : null;
  } catch {
    return null;
  }
}

export function saveCredentials(kind, value) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ kind, value }));
}

export function clearCredentials() {
  sessionStorage.removeItem(STORAGE_KEY);
}

// One credential at a time: the gateway reads an API key only without an Authorization header.
function authHeaders() {
  const stored = credentials();
  if (!stored) return {};
  if (stored.kind === 'bearer') return { Authorization: 'Bearer ' + stored.value };
  if (settings.apiKeyHeader) return { [settings.apiKeyHeader]: stored.value };
  return {};
}

const unauthorizedListeners = new Set();

/** Called with the error whenever the gateway answers 401: the page asks to sign in again. */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

async function bodyOf(response) {
  const text = await response.text().catch(() => '');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function messageOf(body, response) {
  if (body && typeof body === 'object') {
    if (body.error && typeof body.error === 'object' && body.error.message) return body.error.message;
    if (typeof body.message === 'string') return body.message;
  }
  return response.status + ' ' + response.statusText;
}

function describe(status, message) {
  if (status === 401) return 'Not signed in or credentials refused (401): ' + message;
  if (status === 403) return 'Forbidden (403): ' + message;
  return message + ' (HTTP ' + status + ')';
}

/**
 * fetch with the credentials. Refusals (401, 403) and other failures throw an ApiError with a
 * message for people; a 401 also tells the listeners (unless quiet: an optional panel). The response is returned when it is OK,
 * or always with allowFailure (the caller looks at the status itself).
 */
export async function request(path, options = {}) {
  const { allowFailure = false, quiet = false, headers = {}, ...rest } = options;
  const response = await fetch(path, {
    cache: 'no-store',
    ...rest,
    headers: { ...authHeaders(), ...headers },
  });
  if (response.status === 401 || response.status === 403 || (!response.ok && !allowFailure)) {
    const error = new ApiError(response.status, describe(response.status, messageOf(await bodyOf(response), response)));
    if (response.status === 401 && !quiet) for (const listener of unauthorizedListeners) listener(error);
    throw error;
  }
  return response;
}

export async function getJson(path) {
  return bodyOf(await request(path));
}

export async function postJson(path, body) {
  const response = await request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return bodyOf(response);
}

let rpcId = 0;

/** One A2A v1.0 JSON-RPC call on an agent's endpoint; a JSON-RPC error throws an ApiError. */
export async function rpc(agent, method, params) {
  rpcId += 1;
  const response = await request('/agents/' + encodeURIComponent(agent), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'A2A-Version': '1.0' },
    body: JSON.stringify({ jsonrpc: '2.0', id: rpcId, method, params }),
    allowFailure: true,
  });
  const body = await bodyOf(response);
  if (body && body.error) {
    throw new ApiError(response.status, method + ' failed: ' + body.error.message + ' (' + body.error.code + ')');
  }
  if (!response.ok || !body) throw new ApiError(response.status, method + ' failed (HTTP ' + response.status + ')');
  return body.result;
}
`;
