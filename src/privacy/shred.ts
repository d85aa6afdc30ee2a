import type { TaskView } from '../tasks/index.js';
import { redactTask } from './redaction.js';
import type { TenantKeys } from './tenant-keys.js';

export interface ShredResult {
  tenant: string;
  /** Data keys deleted (0: the tenant had none left, nothing of it was encrypted since). */
  keysShredded: number;
  /** Task view rows whose copies of the tenant's personal data were redacted. */
  tasksRedacted: number;
}

/**
 * Crypto-shredding of one tenant: its data keys are deleted (every instance is told), so
 * its personal data in the events reads as `{ "$redacted": "shredded" }` from now on; the
 * task view's rows, which hold plaintext copies, are redacted the same way. `settle` waits
 * for the view to fold what was in flight (a batch folded before the shred could write a
 * copy back), after which the rows are redacted once more.
 */
export async function shredTenant(
  tenant: string,
  parts: {
    keys: Pick<TenantKeys, 'shred'>;
    view: Pick<TaskView, 'redactTenant'>;
    settle?: () => Promise<void>;
  },
): Promise<ShredResult> {
  const keysShredded = await parts.keys.shred(tenant);
  const redact = (task: Parameters<typeof redactTask>[0]) => redactTask(task, 'shredded');
  let tasksRedacted = await parts.view.redactTenant(tenant, redact);
  if (parts.settle) {
    await parts.settle();
    tasksRedacted = Math.max(tasksRedacted, await parts.view.redactTenant(tenant, redact));
  }
  return { tenant, keysShredded, tasksRedacted };
}
