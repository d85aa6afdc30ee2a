import type { BusMessage } from './bus.js';
import type { Envelope } from './transport.js';

/** One shape for both pipelines: do something around `next`, or refuse by throwing. */
export type Middleware<C> = (context: C, next: () => Promise<void>) => Promise<void>;

export interface PublishContext {
  /** Formed and about to be sent: middleware may add headers. */
  envelope: Envelope;
}

export interface ConsumeContext {
  message: BusMessage;
  group: string;
  signal: AbortSignal;
}

/** A middleware for the publish side, the consume side, or both. */
export interface BusMiddleware {
  name: string;
  publish?: Middleware<PublishContext>;
  consume?: Middleware<ConsumeContext>;
}

/** Runs `middleware` in order around `last`. */
export function compose<C>(
  middleware: readonly Middleware<C>[],
  last: (context: C) => Promise<void>,
): (context: C) => Promise<void> {
  return (context) => {
    const run = (index: number): Promise<void> => {
      const step = middleware[index];
      if (!step) return last(context);
      return step(context, () => run(index + 1));
    };
    return run(0);
  };
}
