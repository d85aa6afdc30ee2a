import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eventually } from './collect.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A port nothing listens on right now (for a server a test starts later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningProcess {
  child: ChildProcess;
  /** Everything written so far to stdout and stderr. */
  output(): string;
  /** The exit code (null when a signal ended it), once it exited. */
  exited: Promise<number | null>;
}

/**
 * Runs `command args` from the repository root with `env` added to ours. `detached` gives it
 * its own process group, so a test can signal the group as a terminal or a supervisor does.
 */
export function runProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { detached?: boolean } = {},
): RunningProcess {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => output, exited };
}

/** The gateway from source in one node process (`src/main.ts`). */
export function runGateway(env: Record<string, string>): RunningProcess {
  return runProcess(process.execPath, ['--import', 'tsx', 'src/main.ts'], env);
}

/** Waits until `url`/healthz answers 200; fails early with the output if the process exits. */
export async function waitHealthy(
  running: RunningProcess,
  url: string,
  timeoutMs = 60_000,
): Promise<void> {
  await eventually(async () => {
    if (running.child.exitCode !== null)
      throw new Error(`exited with ${running.child.exitCode}:\n${running.output()}`);
    try {
      return (await fetch(`${url}/healthz`)).ok;
    } catch {
      return false;
    }
  }, timeoutMs);
}

/** Its exit code; fails with what it printed if it is still running after `timeoutMs`. */
export async function exitCode(
  running: RunningProcess,
  timeoutMs = 60_000,
): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running after ${timeoutMs} ms:\n${running.output()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([running.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ends a process the test started (by its own PID) and waits for it. */
export async function stopProcess(
  running: RunningProcess,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<void> {
  const { child } = running;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await exitCode(running);
}
