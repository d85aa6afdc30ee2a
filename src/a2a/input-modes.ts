import type { Message, Part } from '../protocol/index.js';
import { A2aError } from './errors.js';

/** The media type a part carries, explicit or implied by its kind (§4.1.5). */
export function mediaTypeOf(part: Part): string {
  if (part.mediaType) return part.mediaType.toLowerCase();
  if (part.text !== undefined) return 'text/plain';
  if (part.data !== undefined) return 'application/json';
  return 'application/octet-stream';
}

/** `accepted` entries may be exact (`text/plain`) or ranges (`text/*`, `*\/*`). */
export function acceptsMediaType(accepted: readonly string[], mediaType: string): boolean {
  const [type] = mediaType.split(';', 1);
  const wanted = (type ?? '').trim();
  return accepted.some((range) => {
    const candidate = range.toLowerCase().trim();
    if (candidate === '*/*' || candidate === wanted) return true;
    return candidate.endsWith('/*') && wanted.startsWith(candidate.slice(0, -1));
  });
}

/** §3.1.1: a part whose media type the agent does not accept is ContentTypeNotSupportedError. */
export function assertAcceptedParts(message: Message, accepted: readonly string[]): void {
  message.parts.forEach((part, index) => {
    const mediaType = mediaTypeOf(part);
    if (!acceptsMediaType(accepted, mediaType)) {
      throw new A2aError(
        'CONTENT_TYPE_NOT_SUPPORTED',
        `this agent does not accept ${mediaType} (it accepts ${accepted.join(', ')})`,
        { field: `message.parts[${index}].mediaType` },
      );
    }
  });
}
