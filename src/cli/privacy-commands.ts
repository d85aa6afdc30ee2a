import type { Command } from 'commander';
import type { ShredResult } from '../privacy/index.js';
import { baseOf, request } from './remote.js';

/**
 * `privacy shred <tenant>`: crypto-shredding. The tenant's data keys are deleted, so its
 * personal data (encrypted with PII_ENCRYPTION) is unreadable for good; events keep their
 * skeleton. With `--url`, a running gateway does it (`DELETE /admin/tenants/{tenant}/key`,
 * admin scope): the embedded store belongs to that process while it runs.
 */
export function registerPrivacyCommands(
  program: Command,
  shredHere: (tenant: string) => Promise<ShredResult>,
): void {
  const privacy = program
    .command('privacy')
    .description('personal data: crypto-shredding of a tenant (PII_ENCRYPTION=true)');

  privacy
    .command('shred')
    .description("delete a tenant's data keys: its personal data becomes unreadable for good")
    .argument('<tenant>', 'the tenant')
    .option('--url <url>', 'ask a running gateway (needed for the embedded store while it runs)')
    .option('--json', 'print the result as JSON')
    .action(async (tenant: string, options: { url?: string; json?: boolean }) => {
      const result = options.url
        ? await shredThrough(options.url, tenant)
        : await shredHere(tenant);
      if (options.json) {
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      console.log(
        `tenant '${result.tenant}': ${result.keysShredded} data key(s) deleted, ` +
          `${result.tasksRedacted} task view row(s) redacted`,
      );
    });
}

async function shredThrough(url: string, tenant: string): Promise<ShredResult> {
  const base = baseOf(url);
  const target = `${base}/admin/tenants/${encodeURIComponent(tenant)}/key`;
  const response = await request(target, { method: 'DELETE' });
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  if (!response.ok) throw new Error(`${target} answered ${response.status}: ${body.message ?? ''}`);
  return body as ShredResult;
}
