import type { Command } from 'commander';

/** An answer of a running gateway that is not what was asked for, said plainly. */
export class GatewayError extends Error {
  constructor(
    message: string,
    /** The JSON-RPC error code, when the gateway answered with one. */
    readonly code?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export interface RemoteOptions {
  url: string;
}

/** `--url`, defaulting to GATEWAY_URL, else the gateway this machine's PORT would run. */
export function withUrl(command: Command): Command {
  return command.option(
    '--url <url>',
    'the running gateway (default: GATEWAY_URL, else http://127.0.0.1:$PORT)',
    defaultGatewayUrl(),
  );
}

export function defaultGatewayUrl(): string {
  return process.env.GATEWAY_URL ?? `http://127.0.0.1:${process.env.PORT || 8080}`;
}

export function baseOf(url: string): string {
  return url.replace(/\/+$/, '');
}

/** A gateway with authentication on wants credentials: A2A_TOKEN (bearer) or A2A_API_KEY. */
export function credentialHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  if (process.env.A2A_TOKEN) headers.authorization = `Bearer ${process.env.A2A_TOKEN}`;
  if (process.env.A2A_API_KEY) headers['x-api-key'] = process.env.A2A_API_KEY;
  return headers;
}

/** fetch, with a refused connection turned into a sentence naming the URL. */
export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, {
      ...init,
      headers: { ...credentialHeaders(), ...(init.headers as Record<string, string>) },
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new GatewayError(
      `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  }
}

/** A non-2xx HTTP answer as a GatewayError: its JSON `message`/`error` or its status. */
export async function httpError(url: string, response: Response): Promise<GatewayError> {
  const text = await response.text().catch(() => '');
  let said = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as {
      message?: string;
      error?: string | { code?: number; message?: string };
      error_description?: string;
    };
    if (typeof body.error === 'object' && body.error)
      return rpcError(body.error as { code?: number; message?: string });
    said = body.message ?? body.error_description ?? body.error ?? said;
  } catch {
    // Not JSON: the text itself says it.
  }
  return new GatewayError(`${url} answered ${response.status}${said ? `: ${said}` : ''}`);
}

function rpcError(error: { code?: number; message?: string; data?: unknown }): GatewayError {
  return new GatewayError(
    `JSON-RPC error ${error.code ?? '?'}: ${error.message ?? 'no message'}`,
    error.code,
  );
}

let ids = 0;

/** One JSON-RPC 1.0-binding call to `endpoint`; the `error` member becomes a GatewayError. */
export async function rpcCall<T>(endpoint: string, method: string, params: unknown): Promise<T> {
  ids += 1;
  const response = await request(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ids, method, params }),
  });
  const text = await response.text();
  let body: { result?: T; error?: { code?: number; message?: string } };
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatewayError(`${endpoint} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  if (body.error) throw rpcError(body.error);
  if (!response.ok || body.result === undefined)
    throw new GatewayError(`${endpoint} answered ${response.status} without a result`);
  return body.result;
}

/** GET `path` of the gateway as JSON; undefined for a 404 when `missingOk`. */
export async function getJson<T>(
  url: string,
  path: string,
  options: { missingOk?: boolean } = {},
): Promise<T | undefined> {
  const target = `${baseOf(url)}${path}`;
  const response = await request(target, { headers: { accept: 'application/json' } });
  if (response.status === 404 && options.missingOk) return undefined;
  if (!response.ok) throw await httpError(target, response);
  return (await response.json()) as T;
}
