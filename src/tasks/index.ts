export { type AsOfPoint, parseAsOf, type TaskAsOf, taskAsOf } from './as-of.js';
export { type AuditEntry, readTaskTimeline, toAuditEntry } from './audit.js';
export type { SubmitTaskCommand, TaskCommand } from './commands.js';
export { decide, MAX_PUSH_CONFIGS } from './decide.js';
export {
  InvalidTaskRequestError,
  TaskConflictError,
  TaskNotCancelableError,
  TaskNotFoundError,
  TaskTerminalError,
} from './errors.js';
export {
  type Delegation,
  isTaskEventType,
  type PushConfig,
  PushConfigSchema,
  registerTaskEvents,
  TASK_EVENT_TYPES,
  TASK_SENSITIVE_PATHS,
  TASK_STATE_SENSITIVE_PATHS,
  type TaskEvent,
  taskStreamId,
} from './events.js';
export { evolve, mergeArtifact, withMessage } from './evolve.js';
export { foldAll, foldStored } from './fold.js';
export { followTask, type TaskFollower, type TaskUpdate, taskAt } from './follow-task.js';
export { eventIds, nameBasedUuid, newTaskId } from './ids.js';
export {
  INTERRUPTED_STATES,
  isSettled,
  isTerminal,
  type TaskAggregate,
  type TaskFold,
  TERMINAL_STATES,
  toTask,
} from './state.js';
export { toStreamResponse } from './stream-responses.js';
export { createTaskCache, type TaskCache } from './task-cache.js';
export {
  type AttributedCommand,
  type CommandContext,
  type CommandResult,
  type CommittedListener,
  createTaskCommands,
  type TaskCommands,
} from './task-commands.js';
export {
  createSqlTaskView,
  migrateTaskView,
  type TaskListPage,
  type TaskListQuery,
  type TaskView,
} from './task-view.js';
export {
  RebuildAbortedError,
  type RebuildProgress,
  type RebuildResult,
  RebuildRunningError,
  rebuildTaskView,
} from './task-view-rebuild.js';
