import type { LookupAddress } from 'node:dns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createUrlGuard,
  embeddedIPv4,
  forbiddenRange,
  type ResolvedAddress,
  WebhookUrlRefused,
} from '../../src/push/index.js';

const octet = fc.integer({ min: 0, max: 255 });

/** A random IPv4 address inside `net/prefix`. */
function inRange(net: string, prefix: number) {
  const base = net.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
  const size = 2 ** (32 - prefix);
  return fc.integer({ min: 0, max: size - 1 }).map((offset) => {
    const value = base + offset;
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
  });
}

const FORBIDDEN_V4: [string, number, RegExp][] = [
  ['0.0.0.0', 8, /this network/],
  ['10.0.0.0', 8, /private/],
  ['100.64.0.0', 10, /carrier-grade NAT/],
  ['127.0.0.0', 8, /loopback/],
  ['169.254.0.0', 16, /link-local/],
  ['172.16.0.0', 12, /private/],
  ['192.168.0.0', 16, /private/],
  ['224.0.0.0', 4, /multicast/],
  ['240.0.0.0', 4, /reserved/],
];

describe('webhook address ranges (§13.2)', () => {
  for (const [net, prefix, name] of FORBIDDEN_V4) {
    it(`refuses every address of ${net}/${prefix}, also mapped into IPv6`, () => {
      fc.assert(
        fc.property(inRange(net, prefix), (address) => {
          expect(forbiddenRange(address)).toMatch(name);
          expect(forbiddenRange(`::ffff:${address}`)).toMatch(name);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('allows public IPv4 addresses, and the neighbours just outside each range', () => {
    for (const address of [
      '1.1.1.1',
      '8.8.8.8',
      '93.184.215.14',
      '100.63.255.255',
      '100.128.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '169.253.255.255',
      '11.0.0.0',
      '126.255.255.255',
      '128.0.0.0',
      '223.255.255.255',
    ]) {
      expect(forbiddenRange(address), address).toBeUndefined();
    }
  });

  it('refuses the cloud metadata address by name', () => {
    expect(forbiddenRange('169.254.169.254')).toMatch(/metadata/);
  });

  it('refuses IPv6 loopback, unspecified, unique local, link-local and multicast', () => {
    const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    expect(forbiddenRange('::1')).toMatch(/loopback/);
    expect(forbiddenRange('[::1]')).toMatch(/loopback/);
    expect(forbiddenRange('::')).toMatch(/unspecified/);
    fc.assert(
      fc.property(fc.integer({ min: 0xfc00, max: 0xfdff }), hex, hex, (first, a, b) => {
        expect(forbiddenRange(`${first.toString(16)}:${a}::${b}`)).toMatch(/unique local/);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0xfe80, max: 0xfebf }), hex, (first, a) => {
        expect(forbiddenRange(`${first.toString(16)}::${a}`)).toMatch(/link-local/);
      }),
    );
    expect(forbiddenRange('ff02::1')).toMatch(/multicast/);
  });

  it('judges an IPv6 address that carries an IPv4 one by that IPv4 address', () => {
    fc.assert(
      fc.property(octet, octet, (c, d) => {
        const inner = `10.0.${c}.${d}`;
        for (const form of [`::ffff:${inner}`, `::${inner}`, `64:ff9b::${inner}`]) {
          expect(forbiddenRange(form), form).toMatch(/private \(10\.0\.0\.0\/8\), inside/);
        }
      }),
    );
    expect(embeddedIPv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIPv4('2002:a9fe:a9fe::1')).toBe('169.254.169.254');
    expect(forbiddenRange('2002:a9fe:a9fe::1')).toMatch(/metadata/);
    expect(forbiddenRange('::ffff:8.8.8.8')).toBeUndefined();
    expect(forbiddenRange('2606:4700:4700::1111')).toBeUndefined();
  });
});

/** A resolver that knows a few names, and fails on the rest as DNS would. */
function resolver(names: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const found = names[hostname];
    if (!found)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: 'ENOTFOUND',
      });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

describe('the webhook URL guard', () => {
  const { resolve } = resolver({
    'hooks.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'sneaky.example': ['93.184.215.14', '10.1.2.3'],
    'metadata.example': ['169.254.169.254'],
    localhost: ['127.0.0.1', '::1'],
  });

  it('calls only http and https URLs, without credentials in them', async () => {
    const guard = createUrlGuard({ resolve });
    expect(await guard.refuse('https://hooks.example/a2a')).toBeUndefined();
    expect(await guard.refuse('http://hooks.example:8080/a2a')).toBeUndefined();
    expect(await guard.refuse('file:///etc/passwd')).toMatch(/only http and https.*file:/);
    expect(await guard.refuse('ftp://hooks.example/x')).toMatch(/only http and https.*ftp:/);
    expect(await guard.refuse('gopher://hooks.example/x')).toMatch(/gopher:/);
    expect(await guard.refuse('not a url')).toMatch(/not an absolute URL/);
    expect(await guard.refuse('https://user:pw@hooks.example/')).toMatch(/credentials/);
  });

  it('refuses literal addresses of forbidden ranges in every spelling the URL parser accepts', async () => {
    const guard = createUrlGuard({ resolve });
    for (const url of [
      'http://127.0.0.1/',
      'http://127.1/',
      'http://2130706433/',
      'http://0x7f.0.0.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      'http://0.0.0.0:8080/',
      'http://[fd00::1]/',
    ]) {
      expect(await guard.refuse(url), url).toMatch(/is (loopback|link-local|private|this|unique)/);
      expect(() => guard.target(url)).toThrow(WebhookUrlRefused);
    }
  });

  it('judges a name by every address it resolves to', async () => {
    const guard = createUrlGuard({ resolve });
    expect(await guard.refuse('https://sneaky.example/')).toMatch(
      /sneaky\.example resolves to 10\.1\.2\.3, private/,
    );
    expect(await guard.refuse('https://metadata.example/')).toMatch(/169\.254\.169\.254/);
    expect(await guard.refuse('http://localhost:9000/')).toMatch(/127\.0\.0\.1, loopback/);
  });

  it('lets a name that does not resolve now be stored: every delivery checks it again', async () => {
    const guard = createUrlGuard({ resolve });
    expect(await guard.refuse('https://nowhere.example/hook')).toBeUndefined();
  });

  it('exempts allow-listed hosts: any port for a bare host, one port for host:port', async () => {
    const guard = createUrlGuard({
      resolve,
      allowHosts: ['localhost', '127.0.0.1:9000', '[::1]'],
    });
    expect(await guard.refuse('http://localhost:1234/')).toBeUndefined();
    expect(await guard.refuse('http://LOCALHOST/')).toBeUndefined();
    expect(await guard.refuse('http://127.0.0.1:9000/hook')).toBeUndefined();
    expect(await guard.refuse('http://127.0.0.1:9001/hook')).toMatch(/loopback/);
    expect(await guard.refuse('http://[::1]:5/')).toBeUndefined();
    expect(guard.target('http://localhost/').allowListed).toBe(true);
    expect(guard.target('https://hooks.example/').allowListed).toBe(false);
    // The scheme rule holds for allow-listed hosts too.
    expect(await guard.refuse('ftp://localhost/')).toMatch(/ftp:/);
  });

  it('resolves for a connection only to checked addresses, in the form net.connect asks for', async () => {
    const guard = createUrlGuard({ resolve });
    const lookup = (hostname: string, options: { all?: boolean; family?: number }) =>
      new Promise<{ error: NodeJS.ErrnoException | null; result: unknown }>((done) => {
        guard.lookup(hostname, options as never, (error, address, family) =>
          done({ error, result: options.all ? address : { address, family } }),
        );
      });
    const all = await lookup('hooks.example', { all: true });
    expect(all.error).toBeNull();
    expect((all.result as LookupAddress[]).map((a) => a.address)).toEqual([
      '93.184.215.14',
      '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
    ]);
    expect((await lookup('hooks.example', { family: 6 })).result).toEqual({
      address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
      family: 6,
    });
    const refused = await lookup('sneaky.example', { all: true });
    expect(refused.error).toBeInstanceOf(WebhookUrlRefused);
    const unknown = await lookup('nowhere.example', {});
    expect(unknown.error?.code).toBe('ENOTFOUND');
  });
});
