import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { SignJWT } from 'jose';
import { createSigningKeyRing } from '../auth/index.js';
import type { Config } from '../config/index.js';
import type { OperatorDatabase } from './oauth-commands.js';
import { baseOf, GatewayError, httpError, request } from './remote.js';

const MINTED_SCOPES = 'a2a:send,a2a:read,a2a:cancel';

interface TokenOptions {
  subject?: string;
  scopes?: string;
  tenant: string;
  ttl?: string;
  url?: string;
  clientId?: string;
  clientSecret?: string;
  json?: boolean;
}

/**
 * `token`: an access token for trying the gateway. Minted here with the built-in authorization
 * server's signing key ring (the configured database: AUTH_SERVER), or asked of a running
 * gateway's `/oauth/token` with a client's credentials (client credentials grant).
 */
export function registerTokenCommand(
  program: Command,
  open: () => Promise<OperatorDatabase>,
  issuerOf: (config: Config) => string,
): void {
  program
    .command('token')
    .description(
      'mint a test access token with the authorization server key ring (AUTH_SERVER), or get one from --url with a client id and secret',
    )
    .option('--subject <sub>', 'who the token speaks for (minting here)', 'cli-test')
    .option(
      '--scopes <list>',
      `scopes, comma or space separated (minting: default ${MINTED_SCOPES}; --url: the client's)`,
    )
    .option('--tenant <tenant>', "the tenant it is bound to ('' is the default)", '')
    .option('--ttl <seconds>', 'lifetime (at most AUTH_TOKEN_TTL_S, its default)')
    .option('--url <url>', 'ask this gateway instead (client credentials at <url>/oauth/token)')
    .option('--client-id <id>', 'the OAuth client (with --url)')
    .option('--client-secret <secret>', 'its secret (with --url; or OAUTH_CLIENT_SECRET)')
    .option('--json', 'print the token and its claims as JSON')
    .action(async (options: TokenOptions) => {
      const scopes = (options.scopes ?? (options.url ? '' : MINTED_SCOPES))
        .split(/[\s,]+/)
        .filter(Boolean);
      const answer = options.url
        ? await requestToken(options.url, options, scopes)
        : await mintToken(open, issuerOf, options, scopes);
      console.log(options.json ? JSON.stringify(answer, null, 2) : answer.access_token);
    });
}

interface TokenAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  [claim: string]: unknown;
}

async function mintToken(
  open: () => Promise<OperatorDatabase>,
  issuerOf: (config: Config) => string,
  options: TokenOptions,
  scopes: string[],
): Promise<TokenAnswer> {
  const db = await open();
  try {
    const { config } = db;
    if (!config.AUTH_SERVER)
      throw new GatewayError(
        'AUTH_SERVER is off: no gateway of this configuration trusts tokens of its key ring ' +
          '(set AUTH_SERVER=true, or ask a gateway with --url and a client)',
      );
    const ttl = options.ttl === undefined ? config.AUTH_TOKEN_TTL_S : Number(options.ttl);
    // Retired keys stay published for AUTH_TOKEN_TTL_S: a longer token would outlive its key.
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > config.AUTH_TOKEN_TTL_S)
      throw new GatewayError(
        `--ttl: whole seconds from 1 to AUTH_TOKEN_TTL_S (${config.AUTH_TOKEN_TTL_S})`,
      );
    const ring = await createSigningKeyRing({
      client: db.client,
      schema: config.DATABASE_SCHEMA,
      algorithm: config.SIGNING_KEY_ALG,
      maxLifetimeS: config.AUTH_TOKEN_TTL_S,
      ...(config.SIGNING_KEY_FILE ? { keyFile: config.SIGNING_KEY_FILE } : {}),
    });
    const key = await ring.active();
    const issuedAt = Math.floor(Date.now() / 1_000);
    const scope = scopes.join(' ');
    const subject = options.subject ?? 'cli-test';
    const token = await new SignJWT({ scope, tenant: options.tenant })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(issuerOf(config))
      .setSubject(subject)
      .setAudience(config.AUTH_AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttl)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: ttl,
      scope,
      sub: subject,
      tenant: options.tenant,
      iss: issuerOf(config),
      aud: config.AUTH_AUDIENCE,
      kid: key.kid,
    };
  } finally {
    await db.close();
  }
}

async function requestToken(
  url: string,
  options: TokenOptions,
  scopes: string[],
): Promise<TokenAnswer> {
  const secret = options.clientSecret ?? process.env.OAUTH_CLIENT_SECRET;
  if (!options.clientId || !secret)
    throw new GatewayError('--url needs --client-id and --client-secret (or OAUTH_CLIENT_SECRET)');
  const target = `${baseOf(url)}/oauth/token`;
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scopes.length > 0) form.set('scope', scopes.join(' '));
  const basic = Buffer.from(
    `${encodeURIComponent(options.clientId)}:${encodeURIComponent(secret)}`,
  ).toString('base64');
  const response = await request(target, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${basic}`,
    },
    body: form,
  });
  if (!response.ok) throw await httpError(target, response);
  return (await response.json()) as TokenAnswer;
}
