#!/usr/bin/env node
// `gateway`: the built CLI (dist/cli/main.js, after `npm run build`) when there is one, else the
// TypeScript source through tsx (a checkout without a build). GATEWAY_FROM_SOURCE=1 always runs
// the source, so a stale build never answers for code being edited (the tests set it).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = `${root}dist/cli/main.js`;

if (existsSync(built) && process.env.GATEWAY_FROM_SOURCE !== '1') {
  await import(pathToFileURL(built).href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error('gateway: no build (npm run build) and no tsx to run the source with');
    process.exit(1);
  }
  register();
  await import(pathToFileURL(`${root}src/cli/main.ts`).href);
}
