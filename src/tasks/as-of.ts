import type { StoredEvent } from '../events/index.js';
import type { EventStore } from '../store/index.js';
import { taskStreamId } from './events.js';
import { foldStored } from './fold.js';
import type { TaskAggregate } from './state.js';

/** A point in the store's history: a global position, or a moment (event timestamps). */
export type AsOfPoint = { position: number } | { time: Date };

/** A task as it stood at a point, and the last event folded into it. */
export interface TaskAsOf {
  task: TaskAggregate;
  /** Global position of the last event folded. */
  position: number;
  /** Timestamp of that event. */
  time: string;
}

const PAGE = 500;

/**
 * The task as its events say it stood at `point` (now, when undefined): every event at or
 * before it folded, from the stream's snapshot when that snapshot is not newer than the point.
 * Undefined when the task had no event yet at that point. A stream is folded as a prefix: its
 * first event after the point ends the fold, so a later event with an earlier clock (clocks of
 * two instances) never slips in behind it.
 */
export async function taskAsOf(
  store: EventStore,
  taskId: string,
  point?: AsOfPoint,
): Promise<TaskAsOf | undefined> {
  const within = reaches(point);
  const streamId = taskStreamId(taskId);
  const snapshot = await store.loadSnapshot<TaskAggregate>(streamId);
  if (snapshot) {
    // Read from the snapshot's own event: its position and time say whether the snapshot is
    // usable, and answer `position` and `time` when nothing follows it.
    const [first] = await store.readStream(streamId, {
      fromVersion: snapshot.version,
      toVersion: snapshot.version,
    });
    if (first && within(first))
      return fold(store, streamId, { task: snapshot.state, last: first }, within);
  }
  return fold(store, streamId, undefined, within);
}

/** Parses `asOf` as a client writes it: digits are a position, anything else an ISO time. */
export function parseAsOf(text: string): AsOfPoint | undefined {
  if (/^\d{1,16}$/.test(text)) {
    const position = Number(text);
    return Number.isSafeInteger(position) ? { position } : undefined;
  }
  // A zone is required: a time without one means a different moment on every server.
  if (!ISO_TIME.test(text)) return undefined;
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? undefined : { time };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

function reaches(point: AsOfPoint | undefined): (event: StoredEvent) => boolean {
  if (!point) return () => true;
  if ('position' in point) return (event) => event.globalPosition <= point.position;
  const at = point.time.getTime();
  return (event) => Date.parse(event.timestamp) <= at;
}

async function fold(
  store: EventStore,
  streamId: string,
  base: { task: TaskAggregate; last: StoredEvent } | undefined,
  within: (event: StoredEvent) => boolean,
): Promise<TaskAsOf | undefined> {
  let task = base?.task;
  let last = base?.last;
  for (let from = (task?.version ?? 0) + 1; ; ) {
    const page = await store.readStream(streamId, { fromVersion: from, limit: PAGE });
    for (const event of page) {
      if (!within(event)) return done(task, last);
      task = foldStored(task, event);
      last = event;
    }
    if (page.length < PAGE) return done(task, last);
    from = page[page.length - 1]!.streamVersion + 1;
  }
}

function done(task: TaskAggregate | undefined, last: StoredEvent | undefined) {
  if (!task || !last) return undefined;
  return { task, position: last.globalPosition, time: last.timestamp };
}
