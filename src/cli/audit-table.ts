import type { AuditEntry } from '../tasks/index.js';

/** What an event's data says, in a few words: enough to scan a timeline in a terminal. */
export function summarize(entry: Pick<AuditEntry, 'type' | 'data'>): string {
  const data = entry.data as Record<string, unknown> & {
    status?: { state?: string; message?: { parts?: { text?: string }[] } };
    message?: { role?: string; parts?: { text?: string }[] };
    artifact?: { artifactId?: string; parts?: unknown[] };
  };
  const text = (parts?: { text?: string }[]) =>
    (parts ?? []).map((part) => part.text ?? '[non-text part]').join(' ');
  switch (entry.type) {
    case 'task.submitted':
    case 'task.message_received':
    case 'task.replied':
      return `${data.message?.role ?? ''} ${JSON.stringify(text(data.message?.parts))}`.trim();
    case 'task.status_changed': {
      const note = text(data.status?.message?.parts);
      return `${data.status?.state ?? ''}${note ? ` ${JSON.stringify(note)}` : ''}`;
    }
    case 'task.artifact_appended':
      return `${data.artifact?.artifactId ?? ''} (${data.artifact?.parts?.length ?? 0} parts)${data.append ? ' append' : ''}${data.lastChunk ? ' last' : ''}`;
    case 'task.delegated':
      return `to ${String(data.cardUrl)} as ${String(data.remoteTaskId)}`;
    case 'task.execution_started':
      return `attempt ${String(data.attempt)} by ${String(data.instance)}${data.resumed ? ' (resumed)' : ''}`;
    default:
      return JSON.stringify(entry.data).slice(0, 80);
  }
}

/** The timeline as a plain text table. */
export function auditTable(entries: readonly AuditEntry[]): string {
  const headers = ['position', 'v', 'time', 'type', 'tenant', 'principal', 'correlation', 'what'];
  const rows = entries.map((entry) => [
    String(entry.position),
    String(entry.version),
    entry.timestamp,
    entry.type,
    entry.tenant || '-',
    entry.principal ?? '-',
    entry.correlationId,
    summarize(entry),
  ]);
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
