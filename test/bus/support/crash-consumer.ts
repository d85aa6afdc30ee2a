// A consumer process for the crash test: applies an effect (an event appended with an id
// derived from the message), then, when told to, dies by SIGKILL before acknowledging.
import { createBus, createRedisTransport, idempotentMessageId } from '../../../src/bus/index.js';
import { createLogger } from '../../../src/observability/index.js';
import { createPostgresEventStore } from '../../../src/store/index.js';

const env = process.env as Record<string, string>;
const need = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const store = await createPostgresEventStore({
  connectionString: need('DATABASE_URL'),
  schema: need('CRASH_SCHEMA'),
  max: 2,
});
const transport = createRedisTransport({ url: need('REDIS_URL'), prefix: need('CRASH_PREFIX') });
const bus = createBus(transport, { store, log: createLogger({ level: 'silent' }) });

await bus.subscribe<{ order: string }>(
  'orders',
  async (message) => {
    // The effect is idempotent by construction: its event id is the message's, derived.
    await store.append(
      'effects',
      [
        {
          id: idempotentMessageId('effect', message.id),
          type: 'test.effect_applied',
          data: { order: message.payload.order, attempt: message.attempt },
        },
      ],
      { expectedVersion: 'any' },
    );
    console.log(`applied ${message.id} attempt ${message.attempt}`);
    if (env.CRASH_AFTER_EFFECT === '1') process.kill(process.pid, 'SIGKILL');
  },
  { group: 'billing', visibilityTimeoutMs: 1_000, concurrency: 1 },
);
console.log('ready');
