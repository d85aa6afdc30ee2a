/**
 * Child processes pinned to one core with `taskset` (Linux), as `npm run bench:a2a` runs its
 * servers and its load: start, wait for a server to be ready, stop by PID, and the CPU and
 * memory each used.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

// Children run from the repository root, where `--import tsx` and their entry paths resolve.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;

export interface PinnedProcess {
  process: ChildProcess;
  /** Settles, with how, when the process ends for whatever reason; never rejects. */
  exited: Promise<string>;
}

/** A pinned HTTP server on a free port of 127.0.0.1, with the last 20 lines it printed. */
export interface PinnedServer extends PinnedProcess {
  /** Names the server in every error about it. */
  label: string;
  pid: number;
  base: string;
  output: string[];
}

const live = new Set<PinnedProcess>();

/** `taskset -c <core> node <args>`: taskset execs node, so the child's PID is node's own. */
export function spawnPinned(
  core: number,
  args: string[],
  env: NodeJS.ProcessEnv,
  pipeStderr: boolean,
): PinnedProcess {
  const child = spawn('/usr/bin/taskset', ['-c', String(core), process.execPath, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', pipeStderr ? 'pipe' : 'inherit'],
  });
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
    child.once('exit', (code, signal) =>
      resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
  });
  const pinnedChild = { process: child, exited };
  live.add(pinnedChild);
  void exited.then(() => live.delete(pinnedChild));
  return pinnedChild;
}

/** SIGTERM by PID, then SIGKILL once the grace period is over. */
export async function stop({ process: child, exited }: PinnedProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  signal(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signal(child.pid!, 'SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Stops every pinned process still running, so none outlives an interrupted run. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map(stop));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone between the check and the signal: nothing left to stop.
  }
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface ServerOptions {
  label: string;
  core: number;
  /**
   * Relative to the repository root: a built `.js` file runs under plain node (as in
   * production), a `.ts` file under tsx.
   */
  entry: string;
  /** Set over the driver's own environment, after HOST and PORT. */
  env: Record<string, string>;
}

/** Starts a server on a free port; it must listen on the HOST and PORT it is given. */
export async function startServer({
  label,
  core,
  entry,
  env,
}: ServerOptions): Promise<PinnedServer> {
  const port = await freePort();
  // The driver's own database settings must not leak into a target that does not name them.
  const { DATABASE_URL, DATABASE_SCHEMA, DATA_DIR, ...inherited } = process.env;
  const childEnv = { ...inherited, HOST: '127.0.0.1', PORT: String(port), ...env };
  const args = entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry];
  const child = spawnPinned(core, args, childEnv, true);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').trimEnd().split('\n'));
    output.splice(0, output.length - 20);
  };
  child.process.stdout?.on('data', keep);
  child.process.stderr?.on('data', keep);
  return {
    ...child,
    label,
    pid: child.process.pid ?? -1,
    base: `http://127.0.0.1:${port}`,
    output,
  };
}

/** `<label>: <what>`, followed by the server's last output, which usually says why. */
export function serverFailure(server: PinnedServer, what: string): Error {
  const tail = server.output.length ? `\n  last output:\n    ${server.output.join('\n    ')}` : '';
  return new Error(`${server.label}: ${what}${tail}`);
}

/** Polls `GET /healthz` until it answers 200; throws if the server exits or takes too long. */
export async function waitReady(server: PinnedServer, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  let exit: string | undefined;
  void server.exited.then((how) => {
    exit = how;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit) throw serverFailure(server, `the server ${exit} before it was ready`);
    const status = await fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(1_000) })
      .then((response) => response.status)
      .catch(() => 0);
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw serverFailure(server, `GET /healthz did not answer 200 within ${timeoutMs} ms`);
}

let clockTicks: number | undefined;
/** CPU seconds from /proc (Linux, as taskset is): a process's, or the machine's busy time. */
export async function cpuSeconds(pid?: number): Promise<number> {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  if (pid === undefined) {
    const stat = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal
    const [, user, nice, system, , , irq, softirq, steal] = stat.split(/ +/).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / clockTicks;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime + stime
}

/** Resident memory of a process (VmRSS in /proc/<pid>/status), in MB. */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

/** The median of five RSS samples 200 ms apart: one sample may catch a GC half done. */
export async function steadyRssMb(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(await rssMb(pid));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return samples.sort((a, b) => a - b)[2]!;
}
