import type { Artifact, Message, Task, TaskPushNotificationConfig } from '../protocol/index.js';

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
      pushConfig?: TaskPushNotificationConfig;
      at: string;
    }
  | { type: 'ReceiveMessage'; message: Message; at: string }
  | { type: 'StartExecution'; executor: string; instance: string; resumed: boolean; at: string }
  | { type: 'UpdateProgress'; message?: Message; at: string }
  | { type: 'AppendArtifact'; artifact: Artifact; append: boolean; lastChunk: boolean; at: string }
  | { type: 'RequireInput'; message?: Message; at: string }
  | { type: 'RequireAuth'; message?: Message; at: string }
  | { type: 'Complete'; message?: Message; at: string }
  | { type: 'Fail'; message?: Message; at: string }
  | { type: 'Reject'; message?: Message; at: string }
  | { type: 'Cancel'; message?: Message; at: string }
  | { type: 'Reply'; message: Message; at: string };
