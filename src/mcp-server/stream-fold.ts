import type { SendMessageResponse, StreamResponse } from '../protocol/index.js';
import { mergeArtifact, withMessage } from '../tasks/index.js';

/**
 * Folds one streamed response into what a blocking SendMessage would have answered, as any
 * A2A client does (§4.2): the task snapshot first, then its status and artifact updates; or
 * the agent's direct Message. The caller may hold only `a2a:send`, so the final task is
 * built from the stream instead of read back with GetTask (`a2a:read`).
 */
export function foldStreamResponse(
  current: SendMessageResponse | undefined,
  response: StreamResponse,
): SendMessageResponse | undefined {
  if (response.task) return { task: response.task };
  if (response.message) return { message: response.message };
  const task = current?.task;
  // An update before any snapshot has nothing to apply to; the service always sends one first.
  if (!task) return current;
  if (response.statusUpdate) {
    const { status } = response.statusUpdate;
    const history = withMessage(task.history ?? [], status.message);
    return { task: { ...task, status, ...(history.length > 0 ? { history } : {}) } };
  }
  if (response.artifactUpdate) {
    const { artifact, append } = response.artifactUpdate;
    return {
      task: { ...task, artifacts: mergeArtifact(task.artifacts ?? [], artifact, append ?? false) },
    };
  }
  return current;
}
