/**
 * The auth phase of `npm run bench:a2a`: what bearer-JWT authentication costs a gateway.
 * Two gateways of one target, each on a fresh store, run side by side pinned to core 0 with
 * the same settings but one: auth off, or auth on. Only one is under load at a time (the other
 * idles): SendMessage, then GetTask of the tasks it created, from a fresh load process on
 * core 1, in rounds ordered off, on, on, off, … (BENCH_AUTH_ROUNDS, 2 by default), so drift in
 * the machine's other work falls on both alike. Each mode's figure is its best round: other
 * work only ever slows a round down.
 *
 * Auth on is one trusted issuer (`AUTH_ISSUERS`) whose keys are a JWKS file this run writes
 * (an ES256 key made for the run), and one token, valid for an hour, sent by every call as
 * `Authorization: Bearer …`. The per-principal rate limit stays on (it runs on every call)
 * but is set so high it never refuses one; both gateways get the same settings.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sendMessage, sendWithEveryRequest, socketPool } from './a2a-client.js';
import type { LoadResult } from './a2a-load.js';
import {
  type GatewayName,
  runLoad,
  type Session,
  startTarget,
  type Target,
} from './a2a-targets.js';
import { serverFailure, stop } from './pinned-process.js';
import { progress } from './report.js';

export type AuthMode = 'off' | 'on';
export type AuthRound = { mode: AuthMode } & Pick<LoadResult, 'send' | 'get'>;

/** SendMessage and GetTask with auth off and on: each mode's best round, and every round. */
export interface AuthCostFigures {
  off: Pick<LoadResult, 'send' | 'get'>;
  on: Pick<LoadResult, 'send' | 'get'>;
  /** In the order they ran. */
  rounds: AuthRound[];
}

export interface AuthCostOptions {
  seconds: number;
  concurrency: number;
  /** Rounds of each mode (BENCH_AUTH_ROUNDS). */
  rounds: number;
}

/** The limiter runs on every authenticated call but never refuses one. */
const RATE_LIMIT = { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000' };
const ISSUER = 'urn:a2a-bench:issuer';
const AUDIENCE = 'a2a-gateway';
const KID = 'bench-1';

/** A trusted issuer for the run: its JWKS file, the gateway env naming it, a token minter. */
export interface BenchIssuer {
  env: Record<string, string>;
  token(): Promise<string>;
  cleanup(): Promise<void>;
}

export async function benchIssuer(): Promise<BenchIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'ES256', use: 'sig' };
  const dir = await mkdtemp(join(tmpdir(), 'bench-a2a-auth-'));
  const jwksFile = join(dir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify({ keys: [jwk] }));
  const issuers = [{ issuer: ISSUER, audience: AUDIENCE, jwksFile, algorithms: ['ES256'] }];
  return {
    env: { AUTH_ISSUERS: JSON.stringify(issuers) },
    token: () =>
      new SignJWT({ scope: 'a2a:send a2a:read', tenant: 'bench' })
        .setProtectedHeader({ alg: 'ES256', kid: KID })
        .setSubject('bench-client')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Before any load: a call without the token must be refused (401), so the "on" figures are
 * not those of a gateway that ignored AUTH_ISSUERS, and a call with it must succeed.
 */
async function checkAuthOn(session: Session, authorization: Record<string, string>) {
  const pool = socketPool(1);
  try {
    const anonymous = await sendMessage(session.url, pool).then(
      () => 'succeeded',
      (error: Error) => error.message,
    );
    if (!anonymous.startsWith('HTTP 401')) {
      throw serverFailure(session.server, `SendMessage without a token: ${anonymous}`);
    }
    sendWithEveryRequest(authorization);
    await sendMessage(session.url, pool).catch((error: Error) => {
      throw serverFailure(session.server, `SendMessage with a token failed: ${error.message}`);
    });
  } finally {
    sendWithEveryRequest({});
    pool.destroy();
  }
}

/** A gateway of `target` on a fresh store, checked: auth off, or on with `authorization`. */
async function started(
  target: Target,
  env: Record<string, string>,
  authorization?: Record<string, string>,
): Promise<Session> {
  const store = await target.freshStore();
  const session = await startTarget(target, { ...store.env, ...RATE_LIMIT, ...env });
  try {
    if (authorization) {
      await checkAuthOn(session, authorization);
    } else {
      const pool = socketPool(1);
      await sendMessage(session.url, pool)
        .catch((error: Error) => {
          throw serverFailure(session.server, `SendMessage failed: ${error.message}`);
        })
        .finally(() => pool.destroy());
    }
    return session;
  } catch (error) {
    await stop(session.server);
    throw error;
  }
}

/** The round of each loop with the highest req/s. */
function best(rounds: AuthRound[], mode: AuthMode): Pick<LoadResult, 'send' | 'get'> {
  const figures: Pick<LoadResult, 'send' | 'get'> = {};
  const faster = (a: { perSec: number } | undefined, b: { perSec: number } | undefined) =>
    a !== undefined && a.perSec > (b?.perSec ?? -1);
  for (const round of rounds.filter((r) => r.mode === mode)) {
    if (faster(round.send, figures.send)) figures.send = round.send!;
    if (faster(round.get, figures.get)) figures.get = round.get!;
  }
  return figures;
}

/** Auth off and auth on, side by side, on one gateway target. */
export async function authCostPhase(
  target: Target & { name: GatewayName },
  issuer: BenchIssuer,
  options: AuthCostOptions,
): Promise<AuthCostFigures> {
  const authorization = { Authorization: `Bearer ${await issuer.token()}` };
  const sessions: Partial<Record<AuthMode, Session>> = {};
  const rounds: AuthRound[] = [];
  try {
    sessions.off = await started(target, {});
    sessions.on = await started(target, issuer.env, authorization);
    // off, on, on, off, off, on, …: neither mode always goes first.
    const order = Array.from({ length: options.rounds }, (_, i): AuthMode[] =>
      i % 2 === 0 ? ['off', 'on'] : ['on', 'off'],
    ).flat();
    for (const [i, mode] of order.entries()) {
      const what = mode === 'on' ? 'auth on (bearer JWT)' : 'auth off';
      progress(`${target.column}: auth ${i + 1}/${order.length}: ${what}: SendMessage, GetTask`);
      const { send, get } = await runLoad(sessions[mode]!, {
        seconds: options.seconds,
        concurrency: options.concurrency,
        steps: ['send', 'get'],
        ...(mode === 'on' ? { headers: authorization } : {}),
      });
      rounds.push({ mode, ...(send ? { send } : {}), ...(get ? { get } : {}) });
    }
  } finally {
    await Promise.all(Object.values(sessions).map((session) => stop(session.server)));
  }
  return { off: best(rounds, 'off'), on: best(rounds, 'on'), rounds };
}
