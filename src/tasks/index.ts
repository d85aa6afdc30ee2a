export { type AuditEntry, readTaskTimeline, toAuditEntry } from './audit.js';
export type { TaskCommand } from './commands.js';
export { decide } from './decide.js';
export {
  InvalidTaskRequestError,
  TaskConflictError,
  TaskNotCancelableError,
  TaskNotFoundError,
  TaskTerminalError,
} from './errors.js';
export {
  isTaskEventType,
  registerTaskEvents,
  TASK_EVENT_TYPES,
  type TaskEvent,
  taskStreamId,
} from './events.js';
export { evolve, type TaskEventRecord } from './evolve.js';
export { followTask } from './follow-task.js';
export { eventIds, nameBasedUuid, newTaskId } from './ids.js';
export {
  INTERRUPTED_STATES,
  isSettled,
  isTerminal,
  type TaskAggregate,
  TERMINAL_STATES,
  toTask,
} from './state.js';
export {
  type CommandContext,
  type CommandResult,
  createTaskCommands,
  type TaskCommands,
  toRecord,
} from './task-commands.js';
export {
  createSqlTaskView,
  type TaskListPage,
  type TaskListQuery,
  type TaskView,
} from './task-view.js';
