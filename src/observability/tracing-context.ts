import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * The active trace context of the async call chain, kept in an AsyncLocalStorage. Ours rather
 * than @opentelemetry/context-async-hooks' (not a dependency of ours); it carries only the
 * context, never a provider, so gateways of one process (tests) share it safely.
 */
class AsyncContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    active: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(active, () => fn.apply(thisArg, args));
  }

  bind<T>(bound: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(bound, () => (target as (...a: unknown[]) => unknown).apply(this, args));
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

let installed = false;

/**
 * Makes `context.with` carry contexts across awaits, once per process. Only a gateway that
 * traces calls it: without it the API's active context is always the root, and every helper
 * below returns at its first check.
 */
export function installContextManager(): void {
  if (installed) return;
  installed = true;
  // False when something else installed one already: then that one carries our contexts.
  context.setGlobalContextManager(new AsyncContextManager());
}

const propagator = new W3CTraceContextPropagator();

const recordGetter: TextMapGetter<Record<string, string | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * The context a W3C `traceparent` (and `tracestate`) names, as a remote parent; the root
 * context when absent or malformed (a new trace then starts).
 */
export function contextFromTraceparent(traceparent?: string, tracestate?: string): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagator.extract(
    ROOT_CONTEXT,
    { traceparent, ...(tracestate ? { tracestate } : {}) },
    recordGetter,
  );
}

/** `traceparent` and `tracestate` of `from` (the active context), for headers or metadata. */
export function traceHeaders(from: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  // The common case, no span at all, costs one lookup.
  if (trace.getSpanContext(from) === undefined) return headers;
  propagator.inject(from, headers, recordSetter);
  return headers;
}

/** The active span as a W3C `traceparent`, or undefined when nothing is traced here. */
export function currentTraceparent(): string | undefined {
  const active = context.active();
  if (trace.getSpanContext(active) === undefined) return undefined;
  return traceHeaders(active).traceparent;
}
