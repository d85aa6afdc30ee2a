export {
  createMemoryInstanceLeases,
  createSqlInstanceLeases,
  type InstanceLeases,
} from './instance-leases.js';
export {
  type AgentRuntime,
  createTaskLifecycle,
  type TaskLifecycle,
  type TaskLifecycleOptions,
} from './task-lifecycle.js';
