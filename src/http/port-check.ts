import { createServer } from 'node:net';

/** HOST:PORT cannot be listened on; the message says why and what to change. */
export class PortUnavailableError extends Error {
  readonly code = 'PORT_UNAVAILABLE';
  constructor(host: string, port: number, cause: unknown) {
    super(explain(host, port, cause), { cause });
    this.name = 'PortUnavailableError';
  }
}

/**
 * Fails fast when HOST:PORT cannot be listened on, before start-up spends seconds opening
 * the store (and before it takes the data folder): a probe that listens and closes at once.
 * The real bind stays the authority, as another process may take the port in between; it
 * reports the same error. Port 0 (any free port) needs no probe.
 */
export async function assertPortAvailable(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(new PortUnavailableError(host, port, error)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** The listen error of the real bind, in the same words as the probe's. */
export function toListenError(error: unknown, host: string, port: number): Error {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL'
    ? new PortUnavailableError(host, port, error)
    : (error as Error);
}

function explain(host: string, port: number, cause: unknown): string {
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch ((cause as { code?: string } | undefined)?.code) {
    case 'EADDRINUSE':
      return (
        `cannot listen on ${address}: the port is already in use. Is a gateway already ` +
        `running there (curl http://${address}/healthz)? Stop it, or set PORT to another port ` +
        '(PORT=0 picks a free one).'
      );
    case 'EACCES':
      return `cannot listen on ${address}: permission denied (ports below 1024 need privileges); set PORT to 1024 or above.`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${address}: ${host} is not an address of this machine; set HOST (127.0.0.1, or 0.0.0.0 for every interface).`;
    default:
      return `cannot listen on ${address}: ${(cause as Error)?.message ?? String(cause)}`;
  }
}
