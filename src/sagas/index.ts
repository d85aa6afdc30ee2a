export {
  createMemoryInstanceLeases,
  createSqlInstanceLeases,
  type InstanceLeases,
} from './instance-leases.js';
export {
  createTaskLifecycle,
  type TaskLifecycle,
  type TaskLifecycleOptions,
} from './task-lifecycle.js';
export type { AgentRuntime } from './task-run.js';
