import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TaskState } from '@a2a-js/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamExecutor } from '../../../src/executors/a2a/index.js';
import { A2aExecutorSpecSchema } from '../../../src/executors/a2a/spec.js';
import { MissingSecretError } from '../../../src/executors/index.js';
import { startUpstreamAgent, type UpstreamAgent } from '../../support/upstream-agent.js';
import { asTask, type ProxyGateway, say, send, startProxyGateway } from './proxy-gateway.js';

/** A client-credentials token endpoint: a new token per request, each request recorded. */
async function startTokenServer() {
  const requests: { authorization: string | undefined; form: URLSearchParams }[] = [];
  let issued = 0;
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({ authorization: req.headers.authorization, form: new URLSearchParams(body) });
    issued += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ access_token: `tok-${issued}`, token_type: 'Bearer', expires_in: 3600 }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    requests,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('credentials reaching the upstream', () => {
  const secretVariable = `UPSTREAM_TEST_TOKEN_${process.pid}`;
  let bearer: UpstreamAgent;
  let apiKey: UpstreamAgent;
  let oauth: UpstreamAgent;
  let tokens: Awaited<ReturnType<typeof startTokenServer>>;
  /** Tokens the OAuth-protected upstream still accepts. */
  const accepted = new Set<string>();
  let proxy: ProxyGateway;

  beforeAll(async () => {
    process.env[secretVariable] = 'env-bearer-secret';
    tokens = await startTokenServer();
    bearer = await startUpstreamAgent({
      authorize: (headers) => headers.authorization === 'Bearer env-bearer-secret',
    });
    apiKey = await startUpstreamAgent({
      authorize: (headers) => headers['x-upstream-key'] === 'inline-key',
    });
    oauth = await startUpstreamAgent({
      authorize: (headers) => accepted.has(headers.authorization ?? ''),
      // The token URL comes from the upstream's card.
      securitySchemes: {
        oauth: {
          oauth2SecurityScheme: {
            flows: { clientCredentials: { tokenUrl: tokens.url, scopes: { read: 'read' } } },
          },
        },
      },
    });
    proxy = await startProxyGateway({
      'with-bearer': {
        cardUrl: bearer.cardUrl,
        credentials: { type: 'bearer', token: { env: secretVariable } },
      },
      'with-api-key': {
        cardUrl: apiKey.cardUrl,
        credentials: { type: 'apiKey', header: 'X-Upstream-Key', key: 'inline-key' },
      },
      'with-oauth': {
        cardUrl: oauth.cardUrl,
        credentials: {
          type: 'oauth2',
          clientId: 'gateway client',
          clientSecret: 'p@ss:word',
          scopes: ['read', 'write'],
        },
      },
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([bearer?.close(), apiKey?.close(), oauth?.close(), tokens?.close()]);
    delete process.env[secretVariable];
  });

  it('bearer: the token (from an environment variable) is sent as Authorization', async () => {
    const task = asTask(await (await proxy.client('with-bearer')).sendMessage(send(say('hi'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(bearer.requests.at(-1)?.headers.authorization).toBe('Bearer env-bearer-secret');
  });

  it('apiKey: the key is sent in the header the agent file names', async () => {
    const task = asTask(await (await proxy.client('with-api-key')).sendMessage(send(say('hi'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(apiKey.requests.at(-1)?.headers['x-upstream-key']).toBe('inline-key');
  });

  it("oauth2: a client-credentials token from the card's token URL, cached, renewed once after a 401", async () => {
    accepted.add('Bearer tok-1');
    const client = await proxy.client('with-oauth');
    for (const text of ['first', 'second']) {
      const task = asTask(await client.sendMessage(send(say(text))));
      expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    }
    // One token for both: it was cached.
    expect(tokens.requests).toHaveLength(1);
    const [request] = tokens.requests;
    expect(request!.form.get('grant_type')).toBe('client_credentials');
    expect(request!.form.get('scope')).toBe('read write');
    const basic = Buffer.from(request!.authorization!.replace(/^Basic /, ''), 'base64');
    expect(basic.toString()).toBe('gateway+client:p%40ss%3Aword');

    // The upstream stops accepting it: the 401 gets a new token and the call goes through.
    accepted.clear();
    accepted.add('Bearer tok-2');
    const task = asTask(await client.sendMessage(send(say('third'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(tokens.requests).toHaveLength(2);
    expect(oauth.requests.at(-1)?.headers.authorization).toBe('Bearer tok-2');
  });

  it('a credential the upstream refuses fails the task, saying so', async () => {
    accepted.clear();
    const client = await proxy.client('with-oauth');
    const task = asTask(await client.sendMessage(send(say('refused'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    const text = task.status?.message?.parts[0]?.content;
    expect(text?.$case === 'text' && text.value).toBe(
      `upstream ${oauth.cardUrl} answered HTTP 401: it refused the credentials`,
    );
  });

  it('a secret whose environment variable is not set stops the start: a configuration error', async () => {
    const spec = A2aExecutorSpecSchema.parse({
      kind: 'a2a',
      cardUrl: bearer.cardUrl,
      credentials: { type: 'bearer', token: { env: 'NO_SUCH_VARIABLE_FOR_UPSTREAM_TESTS' } },
    });
    const silent = { info() {}, warn() {}, error() {}, debug() {} };
    const executor = createUpstreamExecutor(spec, {
      agent: 'misconfigured',
      baseDir: '.',
      timeoutMs: 10_000,
      log: silent,
      gateway: { id: 'gw', maxDelegationDepth: 8 },
    });
    try {
      await expect(executor.start()).rejects.toBeInstanceOf(MissingSecretError);
    } finally {
      await executor.close();
    }
  });
});
