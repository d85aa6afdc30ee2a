import { z } from 'zod';

/**
 * One retention rule (`RETENTION_POLICIES`): streams whose id matches `streams` (`*` matches
 * any run of characters), of `tenant` ('' = the default tenant; absent: any), whose first
 * event is of one of `types` (absent: any), and whose last event is older than
 * `olderThanDays`, are archived and deleted.
 */
export const RetentionPolicySchema = z.strictObject({
  streams: z.string().min(1).max(200),
  tenant: z.string().max(200).optional(),
  types: z.array(z.string().min(1)).min(1).optional(),
  olderThanDays: z.number().positive(),
});
export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;

/** Parses `RETENTION_POLICIES`, saying which policy and field is wrong. */
export function parseRetentionPolicies(json: string): RetentionPolicy[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`RETENTION_POLICIES: not JSON (${(error as Error).message})`);
  }
  const parsed = z.array(RetentionPolicySchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`RETENTION_POLICIES: [${issue.path.join('].')}: ${issue.message}`);
  }
  return parsed.data;
}

/** What a policy needs to know of a stream. */
export interface StreamSummary {
  streamId: string;
  tenant: string;
  firstType: string;
  lastTimestamp: string;
}

export function matchesPolicy(policy: RetentionPolicy, stream: StreamSummary, now: Date): boolean {
  if (!globToRegExp(policy.streams).test(stream.streamId)) return false;
  if (policy.tenant !== undefined && policy.tenant !== stream.tenant) return false;
  if (policy.types && !policy.types.includes(stream.firstType)) return false;
  const bound = now.getTime() - policy.olderThanDays * 86_400_000;
  return Date.parse(stream.lastTimestamp) < bound;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}
