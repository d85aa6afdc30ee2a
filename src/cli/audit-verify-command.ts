import type { Command } from 'commander';
import type { ChainVerification } from '../audit-chain/index.js';
import { baseOf, request } from './remote.js';

/** The chain in the configured database, for `audit verify` without `--url`. */
export interface LocalAuditChain {
  verify(tenant?: string): Promise<ChainVerification>;
  close(): Promise<void>;
}

/**
 * `audit verify [--tenant <t>] [--url <gateway>]`: walks the tamper-evident chain of stored
 * events and names the first broken link (exit code 1), from the database directly or, with
 * `--url`, through a running gateway's `/admin/audit/verify` (admin scope; credentials from
 * A2A_TOKEN or A2A_API_KEY). Without `open`, only `--url` works.
 */
export function registerAuditVerifyCommand(
  audit: Command,
  open?: () => Promise<LocalAuditChain>,
): void {
  // `audit` has options of its own (`--tenant`, `--url`): without positional options it would
  // take `audit verify --tenant x`'s options for itself, the subcommand seeing none.
  audit.enablePositionalOptions();
  audit.parent?.enablePositionalOptions();
  audit
    .command('verify')
    .description(
      'check the tamper-evident hash chain of stored events; exit 1 naming the first broken link',
    )
    .option(
      '--tenant <tenant>',
      "one tenant's chain ('' the default tenant); default: every tenant",
    )
    .option('--url <url>', "ask a running gateway's admin API (the embedded store while it runs)")
    .option('--json', 'print the verification as JSON')
    .action(async (options: { tenant?: string; url?: string; json?: boolean }) => {
      const result = options.url
        ? await fetchVerification(options.url, options.tenant)
        : await verifyLocally(open, options.tenant);
      console.log(options.json ? JSON.stringify(result, null, 2) : describe(result));
      if (!result.ok) process.exitCode = 1;
    });
}

async function verifyLocally(
  open: (() => Promise<LocalAuditChain>) | undefined,
  tenant: string | undefined,
): Promise<ChainVerification> {
  if (!open) throw new Error('pass --url <gateway URL> to verify through a running gateway');
  const chain = await open();
  try {
    return await chain.verify(tenant);
  } finally {
    await chain.close();
  }
}

async function fetchVerification(
  url: string,
  tenant: string | undefined,
): Promise<ChainVerification> {
  const target = new URL(`${baseOf(url)}/admin/audit/verify`);
  if (tenant !== undefined) target.searchParams.set('tenant', tenant);
  const response = await request(target.href);
  const body = (await response.json().catch(() => undefined)) as
    | (ChainVerification & { message?: string })
    | undefined;
  if (!response.ok || !body)
    throw new Error(`GET ${target} answered ${response.status}: ${body?.message ?? ''}`);
  return body;
}

function describe(result: ChainVerification): string {
  const whose = result.tenant === undefined ? 'every tenant' : `tenant '${result.tenant}'`;
  const counts = `${result.verified} links verified, ${result.archived} archived, sealed through position ${result.sealedThrough}`;
  if (result.ok) return `chain of ${whose} intact: ${counts}`;
  const broken = result.broken!;
  return [
    `chain of ${whose} BROKEN (${broken.reason}): ${broken.message}`,
    `  tenant    '${broken.tenant}'`,
    `  position  ${broken.position}`,
    `  event     ${broken.eventId}`,
    `  stream    ${broken.streamId}`,
    ...(broken.expected ? [`  expected  ${broken.expected}`] : []),
    ...(broken.actual ? [`  actual    ${broken.actual}`] : []),
    `  before it: ${counts}`,
  ].join('\n');
}
