import type { Message, Part, StreamResponse, Task } from '../protocol/index.js';

/** `TASK_STATE_INPUT_REQUIRED` → `input-required`: what a person reads. */
export function stateName(state: string | undefined): string {
  return (state ?? 'unknown')
    .replace(/^TASK_STATE_/, '')
    .toLowerCase()
    .replace(/_/g, '-');
}

/** `completed`, `input-required` or the wire name → the wire name (`--state`). */
export function wireState(name: string): string {
  return name.startsWith('TASK_STATE_')
    ? name
    : `TASK_STATE_${name.toUpperCase().replace(/-/g, '_')}`;
}

const ENDED = new Set([
  'TASK_STATE_COMPLETED',
  'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED',
  'TASK_STATE_REJECTED',
]);

export function isFinal(state: string | undefined): boolean {
  return state !== undefined && ENDED.has(state);
}

/** A state that means the work did not get done: the CLI exits non-zero on it. */
export function isFailure(state: string | undefined): boolean {
  return state === 'TASK_STATE_FAILED' || state === 'TASK_STATE_REJECTED';
}

export function partsText(parts: readonly Part[] | undefined): string {
  return (parts ?? [])
    .map((part) => {
      if (part.text !== undefined) return part.text;
      if (part.data !== undefined) return JSON.stringify(part.data);
      if (part.url !== undefined) return `[file ${part.url}]`;
      return `[${part.mediaType ?? 'bytes'}${part.filename ? ` ${part.filename}` : ''}]`;
    })
    .join(' ');
}

export function messageText(message: Message | undefined): string {
  return message ? partsText(message.parts) : '';
}

/** One stream event as one line for a terminal. */
export function describeStreamEvent(event: StreamResponse): string {
  if (event.task) {
    const { task } = event;
    const note = messageText(task.status.message);
    return `task ${task.id} (context ${task.contextId ?? '-'}): ${stateName(task.status.state)}${note ? ` ${JSON.stringify(note)}` : ''}`;
  }
  if (event.statusUpdate) {
    const note = messageText(event.statusUpdate.status.message);
    return `status: ${stateName(event.statusUpdate.status.state)}${note ? ` ${JSON.stringify(note)}` : ''}`;
  }
  if (event.artifactUpdate) {
    const { artifact, append, lastChunk } = event.artifactUpdate;
    const how = [append ? 'append' : '', lastChunk ? 'last' : ''].filter(Boolean).join(', ');
    return `artifact ${artifact.artifactId}${artifact.name ? ` (${artifact.name})` : ''}${how ? ` [${how}]` : ''}: ${partsText(artifact.parts)}`;
  }
  if (event.message) return `${roleName(event.message.role)}: ${messageText(event.message)}`;
  return JSON.stringify(event);
}

function roleName(role: string | undefined): string {
  return role === 'ROLE_USER' ? 'user' : 'agent';
}

/** A task in full, for `tasks show`: status, artifacts, history. */
export function describeTask(task: Task): string {
  const lines = [
    `task      ${task.id}`,
    `context   ${task.contextId ?? '-'}`,
    `state     ${stateName(task.status.state)}${task.status.timestamp ? ` (${task.status.timestamp})` : ''}`,
  ];
  const note = messageText(task.status.message);
  if (note) lines.push(`status    ${JSON.stringify(note)}`);
  for (const artifact of task.artifacts ?? [])
    lines.push(`artifact  ${artifact.artifactId}: ${partsText(artifact.parts)}`);
  for (const message of task.history ?? [])
    lines.push(`${roleName(message.role).padEnd(9)} ${messageText(message)}`);
  return lines.join('\n');
}
