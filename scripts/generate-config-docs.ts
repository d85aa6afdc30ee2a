import { readFile, writeFile } from 'node:fs/promises';
import { updateReadme } from './config-table.js';

// `npm run docs:config`: README's table of settings from the schema (src/config/config.ts).
const readmePath = new URL('../README.md', import.meta.url);
const schemaPath = new URL('../src/config/config.ts', import.meta.url);
const readme = await readFile(readmePath, 'utf8');
const updated = updateReadme(readme, await readFile(schemaPath, 'utf8'));
if (updated === readme) console.log('README.md: the table of settings is current');
else {
  await writeFile(readmePath, updated);
  console.log('README.md: the table of settings was updated');
}
