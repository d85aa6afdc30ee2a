import type { Artifact, Message, SendMessageResponse, StreamResponse } from '../protocol/index.js';

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
    return { task: { ...task, artifacts: merge(task.artifacts ?? [], artifact, append ?? false) } };
  }
  return current;
}

function withMessage(history: Message[], message: Message | undefined): Message[] {
  if (!message || history.some((m) => m.messageId === message.messageId)) return history;
  return [...history, message];
}

/** §4.2.2: `append` adds the parts to the artifact with the same id; otherwise it replaces. */
function merge(artifacts: Artifact[], artifact: Artifact, append: boolean): Artifact[] {
  const index = artifacts.findIndex((a) => a.artifactId === artifact.artifactId);
  if (index < 0) return [...artifacts, artifact];
  const current = artifacts[index]!;
  const merged = append
    ? { ...current, ...artifact, parts: [...current.parts, ...artifact.parts] }
    : artifact;
  return artifacts.map((a, i) => (i === index ? merged : a));
}
