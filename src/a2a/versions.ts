/** Which protocol a request speaks, from its `A2A-Version` header (§3.6). */
export type ProtocolVersion = '1.0' | '0.3';

/**
 * `1.0` and any `1.0.x` patch are v1.0 (§3.6.1: patch versions are compatible); an absent or
 * empty header means 0.3, as the spec requires of servers that support it; anything else is
 * not supported.
 */
export function negotiateVersion(header: string | undefined): ProtocolVersion | undefined {
  const value = header?.trim() ?? '';
  if (value === '' || value === '0.3' || /^0\.3\.\d+$/.test(value)) return '0.3';
  if (value === '1.0' || /^1\.0\.\d+$/.test(value)) return '1.0';
  return undefined;
}

export const SUPPORTED_VERSIONS = ['1.0', '0.3'] as const;
