import { EventSourceParserStream } from 'eventsource-parser/stream';
import { GatewayError, httpError, request } from './remote.js';

export interface SseMessage {
  id?: string | undefined;
  data: string;
}

/**
 * Opens `url` as a `text/event-stream` and yields its events as they arrive. A JSON answer
 * instead of a stream (a JSON-RPC error, a refusal) becomes a GatewayError. Aborting `signal`
 * (Ctrl-C) ends the loop quietly.
 */
export async function* readSse(
  url: string,
  init: RequestInit & { signal?: AbortSignal },
): AsyncGenerator<SseMessage> {
  const response = await request(url, {
    ...init,
    headers: { accept: 'text/event-stream', ...(init.headers as Record<string, string>) },
  });
  if (!response.ok) throw await httpError(url, response);
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream')) {
    const text = await response.text();
    let error: { code?: number; message?: string } | undefined;
    try {
      error = (JSON.parse(text) as { error?: { code?: number; message?: string } }).error;
    } catch {
      // Neither a stream nor JSON: shown as it came.
    }
    if (error)
      throw new GatewayError(
        `JSON-RPC error ${error.code ?? '?'}: ${error.message ?? 'no message'}`,
        error.code,
      );
    throw new GatewayError(`${url} answered ${type || 'no content type'}: ${text.slice(0, 300)}`);
  }
  if (!response.body) return;
  const events = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  const reader = events.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read().catch((error: unknown) => {
        if (init.signal?.aborted) return { done: true as const, value: undefined };
        throw error;
      });
      if (done) return;
      yield { id: value.id, data: value.data };
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
