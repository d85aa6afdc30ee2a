import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  parseTable,
  renderTable,
  TABLE_BEGIN,
  TABLE_END,
  updateReadme,
} from '../../scripts/config-table.js';
import { ConfigSchema } from '../../src/config/index.js';

const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
const schemaSource = await readFile(new URL('../../src/config/config.ts', import.meta.url), 'utf8');

describe('README table of settings', () => {
  it('lists every setting of the schema, and nothing else', () => {
    const table = readme.slice(readme.indexOf(TABLE_BEGIN), readme.indexOf(TABLE_END));
    expect(table.length).toBeGreaterThan(TABLE_BEGIN.length);
    const listed = parseTable(table).flatMap((row) => row.keys);
    expect([...listed].sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
  });

  it('is current: npm run docs:config would change nothing', () => {
    expect(updateReadme(readme, schemaSource), 'run npm run docs:config').toBe(readme);
  });

  it('refuses a row naming no setting of the schema, and adds rows for new settings', () => {
    expect(() =>
      renderTable([{ keys: ['NO_SUCH_SETTING'], defaultCell: '—', meaning: 'x' }], {}),
    ).toThrow(/README names NO_SUCH_SETTING, which is no setting/);
    const rendered = renderTable([{ keys: ['PORT'], defaultCell: 'wrong', meaning: 'the port' }], {
      HOST: 'interface to listen on',
    });
    expect(rendered).toContain('| `PORT` | `8080` | the port |');
    expect(rendered).toContain('| `HOST` | `127.0.0.1` | interface to listen on |');
    expect(parseTable(rendered)).toHaveLength(Object.keys(ConfigSchema.shape).length);
  });
});
