import { posix } from 'node:path';
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import type { Part } from '../../protocol/index.js';

/**
 * A tool's result as A2A parts: text as text, `structuredContent` as one data part, images and
 * audio as file bytes, embedded resources as their text or bytes, resource links as URLs.
 */
export function resultParts(result: CallToolResult): Part[] {
  const parts = result.content.map(contentPart);
  if (result.structuredContent !== undefined) {
    parts.push({ data: result.structuredContent as Part['data'], mediaType: 'application/json' });
  }
  return parts;
}

/** What a tool said about its own failure (`isError: true`), as one line of text. */
export function errorText(result: CallToolResult): string {
  const text = result.content
    .flatMap((block) => (block.type === 'text' ? [block.text.trim()] : []))
    .filter((line) => line.length > 0)
    .join('\n');
  return text || 'the tool reported an error and gave no text';
}

function contentPart(block: ContentBlock): Part {
  switch (block.type) {
    case 'text':
      return { text: storable(block.text) };
    case 'image':
    case 'audio':
      return { raw: base64(block.data), mediaType: block.mimeType };
    case 'resource': {
      const { resource } = block;
      const described = {
        ...(resource.mimeType ? { mediaType: resource.mimeType } : {}),
        ...filenameOf(resource.uri),
        metadata: { uri: resource.uri },
      };
      return 'text' in resource
        ? { text: storable(resource.text), ...described }
        : { raw: base64(resource.blob), ...described };
    }
    case 'resource_link':
      return {
        url: block.uri,
        ...(block.mimeType ? { mediaType: block.mimeType } : {}),
        ...filenameOf(block.uri),
        metadata: {
          name: block.name,
          ...(block.title ? { title: block.title } : {}),
          ...(block.description ? { description: block.description } : {}),
        },
      };
    default: {
      // A content type newer than this code: kept whole, as data, rather than dropped.
      const unknown: unknown = block;
      return { data: unknown as Part['data'], mediaType: 'application/json' };
    }
  }
}

/** The last segment of a URI's path, when it has one worth calling a file name. */
function filenameOf(uri: string): { filename?: string } {
  try {
    const name = posix.basename(decodeURIComponent(new URL(uri).pathname));
    return name && name !== '/' ? { filename: name } : {};
  } catch {
    return {};
  }
}

// Tools send base64 with line breaks at times; the store takes it without.
function base64(data: string): string {
  return data.replace(/\s+/g, '');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// The store keeps text exactly, so it refuses U+0000 and lone surrogates: replaced, not lost.
function storable(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').replaceAll('\u0000', '\uFFFD');
}
