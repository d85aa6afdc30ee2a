import type { Emission } from '../executors/index.js';
import type { Message } from '../protocol/index.js';
import type { TaskCommand } from '../tasks/index.js';

/** What an executor reported, as the command of run `attempt` that stores it. */
export function toCommand(emission: Emission, at: string, attempt: number): TaskCommand {
  switch (emission.kind) {
    case 'artifact':
      return {
        type: 'AppendArtifact',
        artifact: emission.artifact,
        append: emission.append ?? false,
        lastChunk: emission.lastChunk ?? false,
        attempt,
        at,
      };
    case 'message':
      return { type: 'Reply', message: emission.message, attempt, at };
    case 'delegated':
      return { type: 'RecordDelegation', delegation: emission.link, attempt, at };
    case 'status': {
      const base = { ...(emission.message ? { message: emission.message } : {}), attempt, at };
      switch (emission.state) {
        case 'TASK_STATE_WORKING':
          return { type: 'UpdateProgress', ...base };
        case 'TASK_STATE_INPUT_REQUIRED':
          return { type: 'RequireInput', ...base };
        case 'TASK_STATE_AUTH_REQUIRED':
          return { type: 'RequireAuth', ...base };
        case 'TASK_STATE_COMPLETED':
          return { type: 'Complete', ...base };
        case 'TASK_STATE_FAILED':
          return { type: 'Fail', ...base };
        case 'TASK_STATE_REJECTED':
          return { type: 'Reject', ...base };
        default: {
          const unknown: never = emission.state;
          throw new Error(`unknown state ${unknown}`);
        }
      }
    }
    default: {
      const unknown: never = emission;
      throw new Error(`unknown emission ${JSON.stringify(unknown)}`);
    }
  }
}

let noteCounter = 0;
/** A message from the gateway itself (why a task failed), shown in the task's status. */
export function gatewayNote(text: string): Message {
  noteCounter += 1;
  return {
    messageId: `gateway-${Date.now().toString(36)}-${noteCounter}`,
    role: 'ROLE_AGENT',
    parts: [{ text }],
  };
}
