import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The exact bytes a generated file holds: 2-space JSON with a trailing newline. */
export function formatJsonSchema(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Makes `dir` hold exactly `files`: writes each, removes JSON files no generator produces. */
export async function writeSchemaDir(dir: string, files: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stale = (await readdir(dir)).filter((name) => name.endsWith('.json') && !(name in files));
  await Promise.all(stale.map((name) => rm(join(dir, name))));
  for (const [name, schema] of Object.entries(files)) {
    await writeFile(join(dir, name), formatJsonSchema(schema));
  }
}
