import { Agent, fetch } from 'undici';
import { describeCause, innermostCause } from '../../observability/index.js';
import { UpstreamUnavailableError } from './upstream-errors.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** A response read whole. */
export interface TextResponse {
  status: number;
  contentType: string;
  text: string;
}

/** A response whose body is still arriving (an SSE stream). */
export interface StreamingResponse {
  status: number;
  contentType: string;
  body: ReadableStream<Uint8Array>;
  /** Reads the rest as text, within the request timeout (a JSON answer where SSE was asked). */
  text(): Promise<string>;
  /** Stops reading and lets the connection go. */
  cancel(): void;
}

export interface UpstreamHttp {
  /** One request, body and all, within `timeoutMs`; `signal` is our side giving up. */
  fetchText(url: string, request: HttpRequest, signal?: AbortSignal): Promise<TextResponse>;
  /** One request until its headers, within `timeoutMs`; the body is the caller's to read. */
  fetchStream(url: string, request: HttpRequest, signal?: AbortSignal): Promise<StreamingResponse>;
  readonly timeoutMs: number;
  close(): Promise<void>;
}

/**
 * HTTP to one upstream over one pooled, keep-alive undici Agent. A failure to get an answer
 * (refused, reset, timed out, 5xx is the caller's call) becomes `UpstreamUnavailableError`
 * naming the cause; an abort on our side rethrows the signal's reason unchanged.
 */
export function createUpstreamHttp(upstream: string, timeoutMs: number): UpstreamHttp {
  const dispatcher = new Agent({
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    // Also the idle limit of a stream: an SSE heartbeat comment is data, and resets it.
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
  });

  async function send(url: string, request: HttpRequest, signal: AbortSignal | undefined) {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    const fail = (error: unknown): never => {
      if (signal?.aborted) throw signal.reason;
      if (timeout.signal.aborted)
        throw new UpstreamUnavailableError(upstream, `no answer within ${timeoutMs} ms`);
      throw new UpstreamUnavailableError(upstream, describeNetworkError(error, timeoutMs));
    };
    try {
      const response = await fetch(url, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal: combined,
        dispatcher,
        redirect: 'follow',
      });
      return { response, timer, fail };
    } catch (error) {
      clearTimeout(timer);
      return fail(error);
    }
  }

  return {
    timeoutMs,
    async fetchText(url, request, signal) {
      const { response, timer, fail } = await send(url, request, signal);
      try {
        const text = await response.text().catch(fail);
        return {
          status: response.status,
          contentType: response.headers.get('content-type') ?? '',
          text,
        };
      } finally {
        clearTimeout(timer);
      }
    },
    async fetchStream(url, request, signal) {
      const { response, timer, fail } = await send(url, request, signal);
      clearTimeout(timer);
      const body = response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body,
        async text() {
          const guard = setTimeout(() => void body.cancel().catch(() => {}), timeoutMs);
          try {
            return await readText(body).catch(fail);
          } finally {
            clearTimeout(guard);
          }
        },
        cancel() {
          void body.cancel().catch(() => {});
        },
      };
    },
    async close() {
      // Runs were aborted before: whatever is still open is abandoned, not waited for.
      await dispatcher.destroy().catch(() => {});
    },
  };
}

async function readText(body: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** What went wrong on the wire, in a few words: the innermost cause's code and message. */
export function describeNetworkError(error: unknown, timeoutMs: number): string {
  switch (innermostCause(error).code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `could not connect within ${timeoutMs} ms`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `no answer within ${timeoutMs} ms`;
    case 'UND_ERR_BODY_TIMEOUT':
      return `no data for ${timeoutMs} ms`;
    default:
      return describeCause(error);
  }
}
