import { existsSync } from 'node:fs';
import { lockDataDir } from '../../src/store/index.js';

// One contender in a race for a data folder: says `ready`, waits for the go file, tries once,
// says `won` or `lost CODE`, and holds what it won until its stdin closes.
const [dataDir, goFile] = process.argv.slice(2) as [string, string];
process.stdout.write('ready\n');
while (!existsSync(goFile)) await new Promise((resolve) => setTimeout(resolve, 1));
try {
  await lockDataDir(dataDir, { role: 'racer' });
  process.stdout.write('won\n');
} catch (error) {
  process.stdout.write(`lost ${(error as { code?: string }).code}\n`);
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
