export {
  type AgentRuntime,
  createTaskLifecycle,
  type TaskLifecycle,
  type TaskLifecycleOptions,
} from './task-lifecycle.js';
