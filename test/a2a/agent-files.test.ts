import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadHostedAgents } from '../../src/a2a/index.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const EXAMPLES = root('agent-cards/examples');

async function fileSchemaValidator() {
  const schema = JSON.parse(
    await readFile(root('schemas/agent-file/agent-file.schema.json'), 'utf8'),
  ) as Record<string, unknown>;
  // ajv's default draft: the 2020-12 keywords the file uses are the same there.
  const { $schema: _draft, ...rest } = schema;
  return new AjvJsonSchemaValidator().getValidator(rest);
}

describe('agent files', () => {
  it('ships one example per executor kind, each valid for the loader and the JSON Schema', async () => {
    const agents = await loadHostedAgents(EXAMPLES);
    expect(agents.map((agent) => agent.executor.kind).sort()).toEqual(['a2a', 'mcp', 'mcp']);
    const validate = await fileSchemaValidator();
    for (const agent of agents) {
      const json = JSON.parse(await readFile(agent.source, 'utf8')) as unknown;
      expect(validate(json), agent.source).toMatchObject({ valid: true });
    }
    // Until their executors connect, MCP and upstream agents have no card to serve.
    expect(agents.every((agent) => agent.unavailable === 'not connected yet')).toBe(true);
  });

  it('serves only the shipped echo agent from agent-cards/: examples load only when copied in', async () => {
    const agents = await loadHostedAgents(root('agent-cards'));
    expect(agents.map((agent) => agent.name)).toEqual(['echo']);
    const validate = await fileSchemaValidator();
    const echo = JSON.parse(await readFile(agents[0]!.source, 'utf8')) as unknown;
    expect(validate(echo)).toMatchObject({ valid: true });
  });

  describe('a bad file names the file, the field and what was expected', () => {
    let folder: string;
    beforeEach(async () => {
      folder = await mkdtemp(join(tmpdir(), 'agent-files-'));
    });
    afterEach(async () => {
      await rm(folder, { recursive: true, force: true });
    });

    async function loadOne(file: object) {
      const path = join(folder, 'agent.json');
      await writeFile(path, JSON.stringify(file));
      return { path, load: loadHostedAgents(folder) };
    }

    it('an unknown builtin agent lists the builtin ones and the other kinds', async () => {
      const { path, load } = await loadOne({
        name: 'gpt',
        card: {},
        executor: { kind: 'builtin', agent: 'gpt' },
      });
      await expect(load).rejects.toThrow(
        `${path}: executor.agent: unknown builtin agent "gpt": the builtin agents are echo; for your own agent use "kind": "mcp" or "kind": "a2a"`,
      );
    });

    it('a builtin agent needs its whole card in the file', async () => {
      const { path, load } = await loadOne({
        name: 'echo',
        card: { name: 'Echo' },
        executor: { kind: 'builtin', agent: 'echo' },
      });
      await expect(load).rejects.toThrow(`${path}: card.description:`);
    });

    it('an MCP agent needs a server it can reach', async () => {
      const { path, load } = await loadOne({
        name: 'tools',
        card: {},
        executor: { kind: 'mcp', server: { transport: 'stdio' } },
      });
      await expect(load).rejects.toThrow(`${path}: executor.server.command:`);
      const http = await loadOne({
        name: 'tools',
        card: {},
        executor: { kind: 'mcp', server: { transport: 'http', url: 'ftp://x' } },
      });
      await expect(http.load).rejects.toThrow(`${http.path}: executor.server.url:`);
    });

    it('an upstream agent needs a card URL and well-formed credentials', async () => {
      const { path, load } = await loadOne({
        name: 'up',
        card: {},
        executor: { kind: 'a2a', cardUrl: 'not a url' },
      });
      await expect(load).rejects.toThrow(`${path}: executor.cardUrl:`);
      const secret = await loadOne({
        name: 'up',
        card: {},
        executor: {
          kind: 'a2a',
          cardUrl: 'http://127.0.0.1:1/.well-known/agent-card.json',
          credentials: { type: 'bearer', token: { env: 'not a name' } },
        },
      });
      await expect(secret.load).rejects.toThrow(`${secret.path}: executor.credentials.token`);
    });

    it('an unknown executor kind names the kinds there are', async () => {
      const { path, load } = await loadOne({ name: 'x', card: {}, executor: { kind: 'lambda' } });
      await expect(load).rejects.toThrow(new RegExp(`${path}: executor.kind: .*builtin.*mcp.*a2a`));
    });
  });
});
