import { resolveSecret } from '../secrets.js';
import type { UpstreamCredentials } from './spec.js';
import { UpstreamError, UpstreamTokenError } from './upstream-errors.js';
import type { UpstreamHttp } from './upstream-http.js';

/** The headers that authenticate the gateway to its upstream. */
export interface UpstreamAuth {
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  /**
   * The upstream answered 401 to what `headers` gave: true when asking again may help (an
   * OAuth 2 token is dropped and fetched anew), false when the same credential would come back.
   */
  refused(): boolean;
}

const NONE: UpstreamAuth = { headers: async () => ({}), refused: () => false };

/** A token is renewed this long before it expires (or a tenth of its life, if shorter). */
const RENEW_BEFORE_MS = 30_000;
/** How long a token without `expires_in` is kept. */
const DEFAULT_TOKEN_LIFE_MS = 300_000;

/**
 * The credentials of an agent file, secrets resolved now: a missing environment variable
 * throws `MissingSecretError` (a configuration error, reported at start).
 */
export function createUpstreamAuth(
  credentials: UpstreamCredentials | undefined,
  options: {
    http: UpstreamHttp;
    /** The client-credentials token URL the upstream card names, once the card is known. */
    cardTokenUrl: () => string | undefined;
    now?: () => number;
  },
): UpstreamAuth {
  if (!credentials) return NONE;
  switch (credentials.type) {
    case 'bearer': {
      const headers = { authorization: `Bearer ${resolveSecret(credentials.token)}` };
      return { headers: async () => headers, refused: () => false };
    }
    case 'apiKey': {
      const headers = { [credentials.header.toLowerCase()]: resolveSecret(credentials.key) };
      return { headers: async () => headers, refused: () => false };
    }
    case 'oauth2':
      return clientCredentials(credentials, resolveSecret(credentials.clientSecret), options);
    default: {
      const unknown: never = credentials;
      throw new Error(`unknown credentials ${JSON.stringify(unknown)}`);
    }
  }
}

function clientCredentials(
  spec: Extract<UpstreamCredentials, { type: 'oauth2' }>,
  secret: string,
  options: { http: UpstreamHttp; cardTokenUrl: () => string | undefined; now?: () => number },
): UpstreamAuth {
  const now = options.now ?? Date.now;
  let cached: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;
  // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined.
  const basic = Buffer.from(`${formEncode(spec.clientId)}:${formEncode(secret)}`).toString(
    'base64',
  );

  async function fetchToken(signal?: AbortSignal): Promise<string> {
    const tokenUrl = spec.tokenUrl ?? options.cardTokenUrl();
    if (!tokenUrl)
      throw new UpstreamTokenError(
        '(no token URL)',
        'the agent file names no tokenUrl and the upstream card offers no OAuth 2 client-credentials flow',
      );
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (spec.scopes.length > 0) form.set('scope', spec.scopes.join(' '));
    if (spec.audience) form.set('audience', spec.audience);
    let response: Awaited<ReturnType<UpstreamHttp['fetchText']>>;
    try {
      response = await options.http.fetchText(
        tokenUrl,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
            authorization: `Basic ${basic}`,
          },
          body: form.toString(),
        },
        signal,
      );
    } catch (error) {
      if (error instanceof UpstreamError) throw new UpstreamTokenError(tokenUrl, error.message);
      throw error;
    }
    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown };
    try {
      body = JSON.parse(response.text);
    } catch {
      throw new UpstreamTokenError(tokenUrl, `HTTP ${response.status}, not JSON`);
    }
    if (response.status !== 200 || typeof body.access_token !== 'string' || !body.access_token) {
      const error = typeof body.error === 'string' ? body.error : 'no access_token';
      throw new UpstreamTokenError(tokenUrl, `HTTP ${response.status}: ${error}`);
    }
    const lifeMs =
      typeof body.expires_in === 'number' && body.expires_in > 0
        ? body.expires_in * 1_000
        : DEFAULT_TOKEN_LIFE_MS;
    cached = {
      token: body.access_token,
      renewAt: now() + lifeMs - Math.min(RENEW_BEFORE_MS, lifeMs / 10),
    };
    return body.access_token;
  }

  return {
    async headers(signal) {
      if (cached && now() < cached.renewAt) return { authorization: `Bearer ${cached.token}` };
      // Calls that need a token meanwhile share one request for it.
      pending ??= fetchToken(signal).finally(() => {
        pending = undefined;
      });
      return { authorization: `Bearer ${await pending}` };
    },
    refused() {
      // One fresh token per refusal: the caller tries once more, not in a loop.
      cached = undefined;
      return true;
    },
  };
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
