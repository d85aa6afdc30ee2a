import { createGatewayRegistry } from '../../src/gateway-registry.js';
import { createMemoryEventStore, type EventStore } from '../../src/store/index.js';
import {
  type CommandContext,
  foldAll,
  type TaskAggregate,
  type TaskCommand,
  taskStreamId,
} from '../../src/tasks/index.js';
import { AT, aMessage } from './task-spec.js';

export type SubmitTask = Extract<TaskCommand, { type: 'SubmitTask' }>;

/** A memory store that validates payloads as the gateway's stores do. */
export function aStore(): EventStore {
  return createMemoryEventStore({ registry: createGatewayRegistry() });
}

export function aContext(overrides: Partial<CommandContext> = {}): CommandContext {
  return { tenant: '', correlationId: 'corr-1', ...overrides };
}

export function aSubmit(overrides: Partial<SubmitTask> = {}): SubmitTask {
  return {
    type: 'SubmitTask',
    taskId: 't-1',
    contextId: 'c-1',
    agent: 'echo',
    message: aMessage(),
    at: AT,
    ...overrides,
  };
}

/** The task as the store's events say, read past any cache. */
export async function storedTask(
  store: EventStore,
  taskId: string,
): Promise<TaskAggregate | undefined> {
  return foldAll(undefined, await store.readStream(taskStreamId(taskId)));
}

export async function storedTypes(store: EventStore, taskId: string): Promise<string[]> {
  return (await store.readStream(taskStreamId(taskId))).map((event) => event.type);
}
