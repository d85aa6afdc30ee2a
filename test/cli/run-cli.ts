import { type ChildProcess, spawn } from 'node:child_process';
import { childEnv } from '../support/gateway.js';
import { REPO_ROOT } from '../support/process.js';

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/**
 * The real binary, `node bin/gateway.js <args>`, from the source (GATEWAY_FROM_SOURCE: a stale
 * build must not answer), with only the gateway settings of `env` (see childEnv).
 */
export function startCli(args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, ['bin/gateway.js', ...args], {
    cwd: REPO_ROOT,
    env: { ...childEnv(env), GATEWAY_FROM_SOURCE: '1', A2A_TOKEN: '', A2A_API_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs the CLI to its end. */
export async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(args, env);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Each line of `text` as JSON (the `--json` streams and NDJSON exports). */
// biome-ignore lint/suspicious/noExplicitAny: lines under test are read field by field.
export function jsonLines(text: string): any[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}
