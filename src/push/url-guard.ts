import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { forbiddenRange } from './address-ranges.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface UrlGuardOptions {
  /** `PUSH_ALLOW_HOSTS`: `host` (any port) or `host:port`, lower case, IPv6 in brackets. */
  allowHosts?: readonly string[];
  /** Every address of a name; default `dns.lookup` with `all: true`. */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

/** A webhook URL that passed the rules that need no DNS. */
export interface WebhookTarget {
  url: URL;
  /** Its host is in `PUSH_ALLOW_HOSTS`: the address rules do not apply. */
  allowListed: boolean;
}

/** The URL breaks a rule; `message` says which, fit to show the client. */
export class WebhookUrlRefused extends Error {
  override readonly name = 'WebhookUrlRefused';
}

/**
 * The SSRF rules for webhooks (§13.2): http(s) only, and no address of this machine or of the
 * networks behind it, unless the host is allow-listed. A name is judged by every address it
 * resolves to, when a config is made and again at each delivery, where the connection goes
 * to the very address that was checked (`lookup`), so a name re-pointed between the check
 * and the connect (DNS rebinding) gains nothing.
 */
export interface UrlGuard {
  /** The scheme, credentials, allow-list and literal-address rules; throws WebhookUrlRefused. */
  target(raw: string): WebhookTarget;
  /**
   * Why the URL may not be a webhook, or undefined. A name that does not resolve now passes:
   * nothing can be reached through it, and every delivery checks it again.
   */
  refuse(raw: string): Promise<string | undefined>;
  /**
   * For the connections to webhooks that are not allow-listed (`net.connect`'s `lookup`):
   * resolves the name and fails with WebhookUrlRefused when any address is forbidden.
   */
  lookup: LookupFunction;
}

export function createUrlGuard(options: UrlGuardOptions = {}): UrlGuard {
  const allowed = new Set(options.allowHosts ?? []);
  const resolve = options.resolve ?? defaultResolve;

  function allowListed(url: URL): boolean {
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const host = url.hostname.toLowerCase();
    return allowed.has(host) || allowed.has(`${host}:${port}`);
  }

  function target(raw: string): WebhookTarget {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WebhookUrlRefused('not an absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new WebhookUrlRefused(`only http and https webhooks are called, not ${url.protocol}`);
    }
    if (url.username || url.password) {
      throw new WebhookUrlRefused('credentials go in `authentication`, not in the URL');
    }
    if (allowListed(url)) return { url, allowListed: true };
    // The URL parser has already turned 0x7f.1 or 2130706433 into 127.0.0.1.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      const range = forbiddenRange(host);
      if (range) throw new WebhookUrlRefused(`${host} is ${range}`);
    }
    return { url, allowListed: false };
  }

  /** Every address of `hostname`, all of them allowed; WebhookUrlRefused naming one that is not. */
  async function checkedAddresses(hostname: string): Promise<ResolvedAddress[]> {
    const host = hostname.replace(/^\[|\]$/g, '');
    const family = isIP(host);
    const addresses =
      family === 0 ? await resolve(host) : [{ address: host, family: family as 4 | 6 }];
    if (addresses.length === 0) throw new Error(`${host} has no address`);
    for (const { address } of addresses) {
      const range = forbiddenRange(address);
      if (range) {
        throw new WebhookUrlRefused(
          `${host} resolves to ${address}, ${range}; allow it with PUSH_ALLOW_HOSTS if meant`,
        );
      }
    }
    return addresses;
  }

  return {
    target,
    async refuse(raw) {
      try {
        const { url, allowListed } = target(raw);
        if (!allowListed) await checkedAddresses(url.hostname);
        return undefined;
      } catch (error) {
        if (error instanceof WebhookUrlRefused) return error.message;
        return undefined;
      }
    },
    lookup(hostname, lookupOptions, callback) {
      checkedAddresses(hostname).then(
        (addresses) => {
          const wanted = lookupOptions.family;
          const fit =
            wanted === 4 || wanted === 6 ? addresses.filter((a) => a.family === wanted) : addresses;
          if (fit.length === 0) {
            callback(lookupError(hostname, `no IPv${wanted} address`), '', 0);
          } else if (lookupOptions.all) {
            (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, fit);
          } else {
            callback(null, fit[0]!.address, fit[0]!.family);
          }
        },
        (error: NodeJS.ErrnoException) => callback(error, '', 0),
      );
    },
  };
}

async function defaultResolve(hostname: string): Promise<ResolvedAddress[]> {
  const found = await dnsLookup(hostname, { all: true, order: 'verbatim' });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

function lookupError(hostname: string, message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${hostname}: ${message}`);
  error.code = 'ENOTFOUND';
  return error;
}
