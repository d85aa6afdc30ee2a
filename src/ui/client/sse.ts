import { source } from '../source.js';

/**
 * `/ui/sse.js`: Server-Sent Events read from a fetch body. EventSource cannot send an
 * Authorization or API key header, so the dashboard reads the stream itself. Follows the
 * WHATWG event-stream rules: CR, LF or CRLF end a line (also across chunk boundaries),
 * comments are skipped, `data` lines join with LF, an event is dispatched at a blank line
 * and one left unfinished at the end is dropped. Browser code, served as written.
 */
export const SSE_JS = source`
/** Yields { id, event, data } for each event of an SSE body (a ReadableStream of bytes). */
export async function* readSse(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let data = [];
  let event = '';
  let id = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      // A CR at the very end may be the first half of a CRLF: keep it for the next chunk.
      const end = buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
      const lines = buffer.slice(0, end).split(/\r\n|\r|\n/);
      buffer = lines.pop() + buffer.slice(end);
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
          data = [];
          event = '';
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) id = value;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
`;
