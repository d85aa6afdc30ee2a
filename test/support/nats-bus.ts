import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export const NATS_URL = process.env.NATS_URL;

/**
 * Prefixes for one test file's transports: `<root>-<n>`, the root unique to this file's run,
 * so `deleteNatsStreams(root)` removes exactly this file's streams.
 */
export function natsPrefixes(): { root: string; next(): string } {
  const root = `t${process.pid}-${randomUUID().slice(0, 8)}`;
  let counter = 0;
  return {
    root,
    next() {
      counter += 1;
      return `${root}-${counter}`;
    },
  };
}

/** Deletes every stream whose prefix starts with `root` (stream names are `<prefix>_…`). */
export async function deleteNatsStreams(url: string, root: string): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${root}-`)) names.push(name);
    }
    for (const name of names) await jsm.streams.delete(name);
    return names.length;
  } finally {
    await nc.close();
  }
}
