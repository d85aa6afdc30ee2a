import { type ChildProcess, spawn } from 'node:child_process';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { childEnv } from '../support/gateway.js';
import { REPO_ROOT } from '../support/process.js';

/** The CLI's stdio mode as a host starts it: `node --import tsx src/cli/main.ts mcp`. */
export const MCP_COMMAND = {
  command: process.execPath,
  args: ['--import', 'tsx', 'src/cli/main.ts', 'mcp'],
  cwd: REPO_ROOT,
};

/** The environment of a child: the test's without gateway settings, plus `env`, all set. */
export function stdioEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(childEnv(env)).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
}

export interface StdioChild {
  child: ChildProcess;
  /** An MCP transport over the child's stdin and stdout. */
  transport: Transport;
  /** Every stdout line that is not one JSON-RPC message: stdout must carry nothing else. */
  strayLines: string[];
  stderr(): string;
  exited: Promise<number | null>;
}

/**
 * The stdio mode in a child this test owns (its stdin, its exit code), with a transport of
 * our own over its pipes: what an MCP host does, minus the SDK's close sequence (stdin end,
 * then SIGTERM, then SIGKILL), so a test can tell how the process itself ends.
 */
export function spawnStdio(env: Record<string, string>): StdioChild {
  const child = spawn(MCP_COMMAND.command, MCP_COMMAND.args, {
    cwd: MCP_COMMAND.cwd,
    env: stdioEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A write after the child exited fails with EPIPE; the exit itself is what a test checks.
  child.stdin!.on('error', () => {});
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const strayLines: string[] = [];
  let pending = '';
  const transport: Transport = {
    async start() {
      child.stdout!.on('data', (chunk) => {
        pending += chunk;
        for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
          const line = pending.slice(0, end);
          pending = pending.slice(end + 1);
          let message: JSONRPCMessage;
          try {
            message = JSONRPCMessageSchema.parse(JSON.parse(line));
          } catch {
            strayLines.push(line);
            continue;
          }
          transport.onmessage?.(message);
        }
      });
      child.once('exit', () => transport.onclose?.());
    },
    async send(message) {
      child.stdin!.write(`${JSON.stringify(message)}\n`);
    },
    async close() {
      child.stdin!.end();
    },
  };
  return { child, transport, strayLines, stderr: () => stderr, exited };
}
