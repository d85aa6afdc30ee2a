import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { JsonBody } from './gateway.js';

export interface SseRead {
  status: number;
  contentType: string | null;
  events: EventSourceMessage[];
  comments: string[];
  /** Parsed `data` of each event. */
  data: JsonBody[];
}

/**
 * POSTs (or GETs) and reads SSE events until the server closes the stream, `stopAfter`
 * events arrived, or `timeoutMs` passed; then drops the connection.
 */
export async function readSse(
  url: string,
  init: { method?: 'GET' | 'POST'; body?: unknown; headers?: Record<string, string> } = {},
  options: { stopAfter?: number; timeoutMs?: number } = {},
): Promise<SseRead> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 10_000);
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onComment: (comment) => comments.push(comment),
  });
  const response = await fetch(url, {
    method: init.method ?? 'POST',
    headers: {
      accept: 'text/event-stream',
      ...(init.body !== undefined
        ? { 'content-type': 'application/json', 'a2a-version': '1.0' }
        : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    signal: controller.signal,
  });
  const contentType = response.headers.get('content-type');
  try {
    if (!contentType?.includes('text/event-stream')) {
      const text = await response.text();
      return {
        status: response.status,
        contentType,
        events,
        comments,
        data: text ? [JSON.parse(text)] : [],
      };
    }
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      if (options.stopAfter !== undefined && events.length >= options.stopAfter) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return {
    status: response.status,
    contentType,
    events,
    comments,
    data: events.map((event) => JSON.parse(event.data)),
  };
}
