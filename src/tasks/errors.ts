/**
 * Why a command was refused. Each carries a stable `code` key; the JSON-RPC binding alone
 * turns keys into wire codes (a2a/errors.ts).
 */
export class TaskNotFoundError extends Error {
  readonly code = 'TASK_NOT_FOUND';
  constructor(readonly taskId: string) {
    super(`task ${taskId} not found`);
    this.name = 'TaskNotFoundError';
  }
}

/** The task has reached a terminal state and takes no more messages or updates (§3.1.1). */
export class TaskTerminalError extends Error {
  readonly code = 'TASK_TERMINAL';
  constructor(
    readonly taskId: string,
    readonly state: string,
  ) {
    super(`task ${taskId} is ${state} and accepts no further changes`);
    this.name = 'TaskTerminalError';
  }
}

export class TaskNotCancelableError extends Error {
  readonly code = 'TASK_NOT_CANCELABLE';
  constructor(
    readonly taskId: string,
    readonly state: string,
  ) {
    super(`task ${taskId} is ${state} and cannot be canceled`);
    this.name = 'TaskNotCancelableError';
  }
}

/** A command the task cannot take in its current state (a start with nothing to run, …). */
export class TaskConflictError extends Error {
  readonly code = 'TASK_CONFLICT';
  constructor(message: string) {
    super(message);
    this.name = 'TaskConflictError';
  }
}

/** A request field that contradicts the task or the server (another context, a bad token). */
export class InvalidTaskRequestError extends Error {
  readonly code = 'INVALID_PARAMS';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidTaskRequestError';
  }
}
