import type { Artifact, Message, Task } from '../protocol/index.js';
import type { Delegation, PushConfig } from './events.js';

/**
 * What may happen to a task. Time comes in the command (`at`, ISO 8601) so `decide` stays
 * pure and replayable.
 */
export type TaskCommand =
  | {
      type: 'SubmitTask';
      taskId: string;
      contextId: string;
      agent: string;
      message: Message;
      metadata?: Task['metadata'];
      /** `configuration.taskPushNotificationConfig`: stored with the submission. */
      pushConfig?: PushConfig;
      at: string;
    }
  | { type: 'ReceiveMessage'; message: Message; at: string }
  /** Claims run number `attempt` (the task's `attempts + 1` as the claimant saw it). */
  | {
      type: 'StartExecution';
      executor: string;
      instance: string;
      resumed: boolean;
      attempt: number;
      at: string;
    }
  | (FromRun & { type: 'UpdateProgress'; message?: Message; at: string })
  | (FromRun & {
      type: 'AppendArtifact';
      artifact: Artifact;
      append: boolean;
      lastChunk: boolean;
      at: string;
    })
  | (FromRun & { type: 'RequireInput'; message?: Message; at: string })
  | (FromRun & { type: 'RequireAuth'; message?: Message; at: string })
  | (FromRun & { type: 'Complete'; message?: Message; at: string })
  | (FromRun & { type: 'Fail'; message?: Message; at: string })
  | (FromRun & { type: 'Reject'; message?: Message; at: string })
  | { type: 'Cancel'; message?: Message; at: string }
  | (FromRun & { type: 'Reply'; message: Message; at: string })
  | (FromRun & { type: 'RecordDelegation'; delegation: Delegation; at: string })
  | { type: 'SetPushConfig'; config: PushConfig; at: string }
  | { type: 'DeletePushConfig'; id: string; at: string };

/**
 * What an executor's run reports carries the run's number: once another instance has claimed
 * a later run (it took over), the earlier run's reports change nothing.
 */
interface FromRun {
  attempt?: number;
}

export type SubmitTaskCommand = Extract<TaskCommand, { type: 'SubmitTask' }>;
