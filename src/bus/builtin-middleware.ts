import type { z } from 'zod';
import { PermanentFailure } from './bus.js';
import type { BusMiddleware } from './middleware.js';

/** A publish refused by middleware: the caller gets it, nothing is sent. */
export class BusPublishRefused extends Error {
  override readonly name = 'BusPublishRefused';
}

/**
 * Payloads of the listed topics must match their schema: a publisher gets `BusPublishRefused`
 * naming the topic and the first problem; a consumer's handler never sees a bad one (it is
 * dead-lettered at once: retrying cannot make it valid).
 */
export function validatePayloads(schemas: Record<string, z.ZodType>): BusMiddleware {
  const check = (topic: string, payload: unknown): string | undefined => {
    const schema = schemas[topic];
    if (!schema) return undefined;
    const result = schema.safeParse(payload);
    if (result.success) return undefined;
    const issue = result.error.issues[0];
    return `${topic}: ${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`;
  };
  return {
    name: 'validate',
    async publish({ envelope }, next) {
      const problem = check(envelope.topic, envelope.payload);
      if (problem) throw new BusPublishRefused(`invalid message for ${problem}`);
      await next();
    },
    async consume({ message }, next) {
      const problem = check(message.topic, message.payload);
      if (problem) throw new PermanentFailure(`invalid message for ${problem}`);
      await next();
    },
  };
}

/**
 * Adds the headers `provide` returns (the request's correlation id, tenant, traceparent) to
 * every published message that does not carry them already.
 */
export function enrichHeaders(provide: () => Record<string, string | undefined>): BusMiddleware {
  return {
    name: 'enrich',
    async publish({ envelope }, next) {
      for (const [name, value] of Object.entries(provide())) {
        if (value !== undefined && envelope.headers[name] === undefined) {
          envelope.headers[name] = value;
        }
      }
      await next();
    },
  };
}

/**
 * `allowed(topic, headers)` decides who may publish to and consume from a topic, e.g. by the
 * message's tenant header: a refused publish throws, a refused message is dead-lettered.
 */
export function authorizeTopics(
  allowed: (topic: string, headers: Record<string, string>) => boolean,
): BusMiddleware {
  return {
    name: 'authorize',
    async publish({ envelope }, next) {
      if (!allowed(envelope.topic, envelope.headers)) {
        throw new BusPublishRefused(`not allowed to publish to ${envelope.topic}`);
      }
      await next();
    },
    async consume({ message }, next) {
      if (!allowed(message.topic, message.headers)) {
        throw new PermanentFailure(`not allowed to consume ${message.topic}`);
      }
      await next();
    },
  };
}

export interface TimingSample {
  side: 'publish' | 'consume';
  topic: string;
  ms: number;
  ok: boolean;
  /** Consume side: publish to the start of handling (queueing, delays and retries included). */
  waitedMs?: number;
}

/** Times both sides; `record` is called once per publish and per handled message. */
export function timing(record: (sample: TimingSample) => void): BusMiddleware {
  const around = async (
    sample: Omit<TimingSample, 'ms' | 'ok'>,
    next: () => Promise<void>,
  ): Promise<void> => {
    const started = performance.now();
    let ok = false;
    try {
      await next();
      ok = true;
    } finally {
      record({ ...sample, ms: performance.now() - started, ok });
    }
  };
  return {
    name: 'timing',
    publish: ({ envelope }, next) => around({ side: 'publish', topic: envelope.topic }, next),
    consume: ({ message }, next) =>
      around(
        { side: 'consume', topic: message.topic, waitedMs: Date.now() - message.publishedAt },
        next,
      ),
  };
}
