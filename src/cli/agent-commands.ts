import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AgentCardError, HostedAgentFileSchema, loadHostedAgents } from '../a2a/index.js';
import { loadConfig } from '../config/index.js';
import type { AgentCard } from '../protocol/index.js';
import { getJson, withUrl } from './remote.js';
import { type Column, clip, printListing } from './table.js';

interface AgentRow {
  agent: string;
  name: string;
  version: string;
  skills: string[];
  /** Where it is served (a running gateway), or its file (`--dir`). */
  where: string;
  /** builtin, mcp or a2a: known from the files only. */
  executor?: string;
}

/** `agents list|validate`: the hosted agents, served or as files. */
export function registerAgentCommands(program: Command): void {
  const agents = program.command('agents').description('hosted agents: served, or their files');

  withUrl(
    agents
      .command('list')
      .description("list a running gateway's agents (GET /agents), or with --dir the files"),
  )
    .option('--dir <dir>', 'read the agent files of this folder instead (AGENT_CARDS_DIR)')
    .option('--json', 'print the agents as JSON')
    .action(async (options: { url: string; dir?: string; json?: boolean }) => {
      const rows = options.dir ? await fromFiles(options.dir) : await fromGateway(options.url);
      printListing(rows, { json: options.json, empty: 'no agents' }, [
        ['AGENT', (row) => row.agent],
        ['NAME', (row) => row.name],
        ['VERSION', (row) => row.version],
        ...(options.dir
          ? [['EXECUTOR', (row) => row.executor ?? '-'] satisfies Column<AgentRow>]
          : []),
        ['SKILLS', (row) => clip(row.skills.join(', '), 40)],
        [options.dir ? 'FILE' : 'URL', (row) => row.where],
      ]);
    });

  agents
    .command('validate')
    .description('check agent files offline: every bad file with its path and field (exit 1)')
    .argument('[dir]', 'the folder of agent files (default: AGENT_CARDS_DIR)')
    .option('--json', 'print the findings as JSON')
    .action(async (dir: string | undefined, options: { json?: boolean }) => {
      const folder = resolve(dir ?? loadConfig().AGENT_CARDS_DIR);
      const problems = await validateFolder(folder);
      if (options.json) {
        console.log(
          JSON.stringify({ dir: folder, valid: problems.length === 0, problems }, null, 2),
        );
      } else if (problems.length === 0) {
        console.log(`${folder}: every agent file is valid`);
      } else {
        for (const problem of problems)
          console.error(
            `${problem.path}: ${problem.field ? `${problem.field}: ` : ''}${problem.message}`,
          );
      }
      if (problems.length > 0) process.exitCode = 1;
    });
}

async function fromGateway(url: string): Promise<AgentRow[]> {
  const { agents } = (await getJson<{ agents: AgentCard[] }>(url, '/agents')) ?? { agents: [] };
  return agents.map((card) => {
    const served = card.supportedInterfaces?.[0]?.url ?? '';
    return {
      agent: served.match(/\/agents\/([^/]+)\/?$/)?.[1] ?? '-',
      name: card.name,
      version: card.version,
      skills: (card.skills ?? []).map((skill) => skill.id),
      where: served,
    };
  });
}

async function fromFiles(dir: string): Promise<AgentRow[]> {
  const agents = await loadHostedAgents(resolve(dir));
  return agents.map((agent) => ({
    agent: agent.name,
    name: agent.card.name ?? '-',
    version: agent.card.version ?? '-',
    executor: agent.executor.kind,
    skills: (agent.fileCard.skills ?? []).map((skill) => skill.id),
    where: agent.source,
  }));
}

interface Problem {
  path: string;
  field: string;
  message: string;
}

/**
 * Every problem of every file (the gateway's loader stops at the first), then what only the
 * folder as a whole can break (a name used twice, two defaults), through that same loader.
 */
async function validateFolder(dir: string): Promise<Problem[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    return [
      { path: dir, field: '', message: `cannot read the folder (${(error as Error).message})` },
    ];
  }
  const problems: Problem[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      problems.push({ path, field: '', message: `not valid JSON (${(error as Error).message})` });
      continue;
    }
    const parsed = HostedAgentFileSchema.safeParse(json);
    for (const issue of parsed.error?.issues ?? [])
      problems.push({ path, field: issue.path.join('.'), message: issue.message });
  }
  if (problems.length > 0) return problems;
  try {
    await loadHostedAgents(dir);
  } catch (error) {
    if (!(error instanceof AgentCardError)) throw error;
    problems.push({ path: error.path, field: error.field, message: stripPrefix(error) });
  }
  return problems;
}

/** AgentCardError's message repeats its path and field. */
function stripPrefix(error: AgentCardError): string {
  const prefix = `${error.path}: ${error.field ? `${error.field}: ` : ''}`;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}
