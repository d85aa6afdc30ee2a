import { readFileSync } from 'node:fs';

/**
 * The master key that wraps every tenant's data key: `ENCRYPTION_MASTER_KEY`, 32 bytes in
 * base64, or `@/path/to/file` holding them (base64 text, or the 32 raw bytes).
 */
export function parseMasterKey(setting: string): Buffer {
  const text = setting.trim();
  if (text.startsWith('@')) {
    const path = text.slice(1);
    let content: Buffer;
    try {
      content = readFileSync(path);
    } catch (error) {
      throw new Error(`ENCRYPTION_MASTER_KEY: cannot read ${path}: ${(error as Error).message}`);
    }
    if (content.length === 32) return content;
    return decode(content.toString('utf8').trim(), `the file ${path}`);
  }
  return decode(text, 'the value');
}

function decode(text: string, what: string): Buffer {
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new Error(
      `ENCRYPTION_MASTER_KEY: ${what} must be 32 bytes in base64 (openssl rand -base64 32)`,
    );
  }
  return key;
}
