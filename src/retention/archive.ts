import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { StoredEvent } from '../events/index.js';
import type { RetentionPolicy } from './policies.js';

export const ARCHIVE_KIND = 'a2a-gateway.retention-archive';

/** The first line of an archive: what it holds and why it was made. */
export interface ArchiveHeader {
  kind: typeof ARCHIVE_KIND;
  version: 1;
  streamId: string;
  tenant?: string;
  policy: RetentionPolicy;
  events: number;
  fromPosition: number;
  toPosition: number;
  archivedAt: string;
}

/**
 * Writes a gzip-compressed NDJSON archive: the header line, then one stored event per line,
 * exactly as stored (with PII encryption on, ciphertext: shredding still reaches archives).
 * Written under a temporary name and renamed, so an archive that exists is whole. Returns
 * the SHA-256 (hex) of the file's bytes.
 */
export async function writeArchive(
  path: string,
  header: ArchiveHeader,
  events: readonly StoredEvent[],
): Promise<string> {
  const lines = [header, ...events].map((line) => JSON.stringify(line)).join('\n');
  const bytes = gzipSync(Buffer.from(`${lines}\n`, 'utf8'));
  const partial = `${path}.partial`;
  await writeFile(partial, bytes, { flush: true });
  await rename(partial, path);
  return createHash('sha256').update(bytes).digest('hex');
}

export async function readArchive(
  path: string,
): Promise<{ header: ArchiveHeader; events: StoredEvent[]; sha256: string }> {
  const bytes = await readFile(path);
  let lines: string[];
  try {
    lines = gunzipSync(bytes).toString('utf8').split('\n').filter(Boolean);
  } catch (error) {
    throw new Error(`${path} is not a gzip archive: ${(error as Error).message}`);
  }
  const [first, ...rest] = lines;
  const header = first ? (JSON.parse(first) as ArchiveHeader) : undefined;
  if (header?.kind !== ARCHIVE_KIND || header.version !== 1)
    throw new Error(`${path} is not a retention archive (no ${ARCHIVE_KIND} v1 header)`);
  const events = rest.map((line) => JSON.parse(line) as StoredEvent);
  if (events.length !== header.events)
    throw new Error(`${path} holds ${events.length} events, its header says ${header.events}`);
  return { header, events, sha256: createHash('sha256').update(bytes).digest('hex') };
}
