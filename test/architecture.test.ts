import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layers of docs/architecture.md ("Layers and their direction"), top to bottom; folders on
// one row are peers. A layer imports only the rows below its own: never a row above, never a
// peer. Files directly in src/ are the composition root: they import any layer, and no layer
// imports them.
const LAYERS: readonly (readonly string[])[] = [
  ['cli', 'http', 'mcp-server'],
  ['ui'],
  ['a2a'],
  ['auth'],
  ['sagas', 'push'],
  ['privacy', 'retention'],
  ['executors'],
  ['tasks', 'audit-chain'],
  ['bus'],
  ['store'],
  ['protocol'],
  ['events'],
  ['observability', 'config'],
];

type Rule = 'direction' | 'index';

/** Imports that break a rule on purpose; each must still exist, or the test asks to drop it. */
const EXCEPTIONS: readonly { file: string; imports: string; waives: Rule[]; reason: string }[] = [
  {
    file: 'src/cli/main.ts',
    imports: '../gateway.js',
    waives: ['direction', 'index'],
    reason:
      'operator commands open and migrate the database exactly as the gateway does ' +
      '(openEventStore, migrateDatabase); that wiring lives in the composition root',
  },
  {
    file: 'src/cli/main.ts',
    imports: '../serve.js',
    waives: ['direction', 'index'],
    reason: '`gateway serve` starts the gateway exactly as `npm start` does: one function, serve()',
  },
  {
    file: 'src/cli/main.ts',
    imports: '../gateway-auth.js',
    waives: ['direction', 'index'],
    reason:
      '`gateway token` signs with the issuer the gateway computes for its authorization server ' +
      '(authServerIssuer), so minted tokens name the issuer the gateway trusts',
  },
];

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPOSITION = '(composition root)';

interface Import {
  file: string;
  specifier: string;
  /** Repository-relative path of the imported module, `.js` as written. */
  target: string;
}

/**
 * Relative module specifiers of a source text: `import … from`, `export … from`, bare
 * `import '…'`, and `import('…')` (dynamic, or in a type). Static forms must begin a line,
 * so an import quoted in a comment is not one.
 */
function importsOf(source: string): string[] {
  const patterns = [
    /^[ \t]*(?:import|export)\s+(?:type\s+)?[\w\s{},*$]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^[ \t]*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  const found: string[] = [];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) {
      if (match[1]!.startsWith('.')) found.push(match[1]!);
    }
  }
  return found;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(posix.join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `src/<folder>/…` → folder; `src/<file>` → the composition root; else undefined. */
function layerOf(path: string): string | undefined {
  const parts = path.split('/');
  if (parts[0] !== 'src') return undefined;
  return parts.length > 2 ? parts[1]! : COMPOSITION;
}

const rankOf = (layer: string) => LAYERS.findIndex((row) => row.includes(layer));
const name = (layer: string) => (layer === COMPOSITION ? layer : `${layer}/`);

function allImports(): Import[] {
  return sourceFiles('src').flatMap((file) =>
    importsOf(readFileSync(posix.join(ROOT, file), 'utf8')).map((specifier) => ({
      file,
      specifier,
      target: posix.normalize(posix.join(posix.dirname(file), specifier)),
    })),
  );
}

function excepted(imported: Import, rule: Rule): boolean {
  return EXCEPTIONS.some(
    (e) => e.file === imported.file && e.imports === imported.specifier && e.waives.includes(rule),
  );
}

const where = (i: Import) => `${i.file} imports '${i.specifier}'`;

/** Rule (a): every import between layers points down the table. */
function directionProblems(imports: readonly Import[]): string[] {
  const problems: string[] = [];
  for (const imported of imports) {
    const from = layerOf(imported.file)!;
    const to = layerOf(imported.target);
    if (from === to || excepted(imported, 'direction')) continue;
    const rule = 'rule: imports point down the layer table of docs/architecture.md';
    if (to === undefined) {
      problems.push(`${where(imported)}: it leaves src/ (${rule})`);
    } else if (from === COMPOSITION) {
      // The composition root wires every layer together.
    } else if (to === COMPOSITION) {
      problems.push(
        `${where(imported)}: no layer imports the composition root (src/*.ts), which imports the layers (${rule})`,
      );
    } else if (rankOf(from) < 0 || rankOf(to) < 0) {
      const unknown = rankOf(from) < 0 ? from : to;
      problems.push(
        `${where(imported)}: ${unknown}/ is in no row of the layer table; add it to LAYERS and docs/architecture.md`,
      );
    } else if (rankOf(to) <= rankOf(from)) {
      const below = LAYERS.slice(rankOf(from) + 1).flat();
      const why = rankOf(to) === rankOf(from) ? 'its peer on the same row' : 'a layer above it';
      problems.push(
        `${where(imported)}: ${from}/ may not import ${to}/, ${why} (${rule}; ${from}/ may import ${below.map((l) => `${l}/`).join(', ')})`,
      );
    }
  }
  return problems;
}

/** Rule (c): another layer is reached only through its index.ts. */
function indexProblems(imports: readonly Import[]): string[] {
  const problems: string[] = [];
  for (const imported of imports) {
    const from = layerOf(imported.file);
    const to = layerOf(imported.target);
    if (to === undefined || to === COMPOSITION || from === to) continue;
    if (imported.target === `src/${to}/index.js` || excepted(imported, 'index')) continue;
    problems.push(
      `${where(imported)}: import ${to}/ through '${posix.relative(posix.dirname(imported.file), `src/${to}/index.js`)}' and export the name there (rule, STYLE.md: "Each layer has an index.ts naming what it offers; other layers import only that")`,
    );
  }
  return problems;
}

/** Rule (b): no folder imports a folder that imports it back, however indirectly. */
function cycleProblems(imports: readonly Import[]): string[] {
  const edges = new Map<string, Map<string, Import>>();
  for (const imported of imports) {
    const from = layerOf(imported.file)!;
    const to = layerOf(imported.target);
    if (to === undefined || from === to) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, imported);
  }
  /** A shortest path of layers from `start` to `goal`, or undefined. */
  function path(start: string, goal: string): string[] | undefined {
    const previous = new Map<string, string>([[start, start]]);
    const queue = [start];
    for (let layer = queue.shift(); layer !== undefined; layer = queue.shift()) {
      if (layer === goal) {
        const steps = [goal];
        while (steps[0] !== start) steps.unshift(previous.get(steps[0]!)!);
        return steps;
      }
      for (const next of edges.get(layer)?.keys() ?? []) {
        if (!previous.has(next)) {
          previous.set(next, layer);
          queue.push(next);
        }
      }
    }
    return undefined;
  }
  const problems = new Map<string, string>();
  for (const [from, targets] of edges) {
    for (const to of targets.keys()) {
      const back = path(to, from);
      if (!back) continue;
      const cycle = [from, ...back];
      const key = [...new Set(cycle)].sort().join(' ');
      const steps = cycle
        .slice(1)
        .map((layer, i) => `→ ${name(layer)} (${where(edges.get(cycle[i]!)!.get(layer)!)})`);
      problems.set(
        key,
        `folders import each other: ${name(from)} ${steps.join(' ')} (rule: no folder imports a folder that imports it back)`,
      );
    }
  }
  return [...problems.values()];
}

describe('architecture: the layers of docs/architecture.md', () => {
  const imports = allImports();

  it('finds every form of relative import, and none in comments', () => {
    const source = [
      "import { a, type B } from './a.js';",
      "import type {\n  C,\n  D,\n} from '../c/index.js';",
      "import * as e from '../e/index.js';",
      "export { f } from './f.js';",
      "export * from './g.js';",
      "import './side-effect.js';",
      "const h = await import('../h/index.js');",
      "type I = import('../i/index.js').I;",
      "import { z } from 'zod';",
      "// import { j } from '../j/index.js';",
      " * export { k } from '../k/index.js';",
    ].join('\n');
    expect(importsOf(source).sort()).toEqual(
      [
        './a.js',
        '../c/index.js',
        '../e/index.js',
        './f.js',
        './g.js',
        './side-effect.js',
        '../h/index.js',
        '../i/index.js',
      ].sort(),
    );
    expect(imports.length).toBeGreaterThan(100);
  });

  it('places every folder under src/ in a row of the layer table', () => {
    const folders = readdirSync(posix.join(ROOT, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => rankOf(folder) < 0)).toEqual([]);
  });

  it('mirrors the layer table of docs/architecture.md, row by row', () => {
    const doc = readFileSync(posix.join(ROOT, 'docs/architecture.md'), 'utf8');
    const section = doc.split(/^## /m).find((part) => part.startsWith('Layers'));
    const rows = (section ?? '')
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .map((line) => [...(line.split('|')[1] ?? '').matchAll(/`([a-z0-9-]+)\/`/g)].map((m) => m[1]))
      .filter((row) => row.length > 0);
    expect(rows).toEqual(LAYERS);
  });

  it('(a) imports only layers below: never one above, never a peer, never the composition root', () => {
    expect(directionProblems(imports)).toEqual([]);
  });

  it('(b) has no cycle between folders', () => {
    expect(cycleProblems(imports)).toEqual([]);
  });

  it('(c) reaches another layer only through its index.ts', () => {
    expect(indexProblems(imports)).toEqual([]);
  });

  it('lists only exceptions the code still needs', () => {
    const stale = EXCEPTIONS.filter(
      (e) => !imports.some((i) => i.file === e.file && i.specifier === e.imports),
    ).map((e) => `${e.file} no longer imports '${e.imports}': remove its exception`);
    expect(stale).toEqual([]);
  });
});
