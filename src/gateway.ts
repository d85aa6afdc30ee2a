import { getEventListeners, setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  type AgentCardsOptions,
  applyCardContent,
  createA2aService,
  createAgentCards,
  createCardSigner,
  createJsonRpcBinding,
  type EnabledAuth,
  type HostedAgent,
  loadHostedAgents,
} from './a2a/index.js';
import { recordCardContent } from './agent-card-history.js';
import { migrateAuditChain, startAuditChainSealer, verifyAuditChain } from './audit-chain/index.js';
import {
  ALL_SCOPES,
  type AuthorizationServer,
  createAuthorizationServer,
  createDenialRecorder,
  createRateLimiter,
  migrateAuthTables,
} from './auth/index.js';
import { type GatewayBus, migrateBus } from './bus/index.js';
import { type Config, httpTimeouts } from './config/index.js';
import { openWithRetry } from './database-retry.js';
import { createHostedExecutor, type HostedExecutor } from './executors/index.js';
import {
  assertSafeExposure,
  authServerIssuer,
  createGatewayAuthenticator,
  issuerConfigs,
} from './gateway-auth.js';
import { openGatewayBus, openOperatorBus } from './gateway-bus.js';
import { instrumentBinding, instrumentStore, registerGatewayGauges } from './gateway-metrics.js';
import { startGatewayPush } from './gateway-push.js';
import { gatewayReadinessChecks, migrationCounts } from './gateway-readiness.js';
import { createGatewayRegistry } from './gateway-registry.js';
import { createGatewayTracing, tracedStore } from './gateway-tracing.js';
import {
  assertPortAvailable,
  createApp,
  type RunningServer,
  startHttpServer,
} from './http/index.js';
import { createMcpFace, type McpFace } from './mcp-server/index.js';
import { createGatewayMetrics, type Logger, type SpanExporter } from './observability/index.js';
import {
  createEncryptingStore,
  createSqlTenantKeys,
  migrateTenantKeys,
  parseMasterKey,
  redactTask,
  type ShredResult,
  shredTenant,
  type TenantKeys,
} from './privacy/index.js';
import { type AgentRuntime, createSqlInstanceLeases, createTaskLifecycle } from './sagas/index.js';
import {
  createPgClient,
  createPgliteClient,
  createPgliteEventStore,
  createPostgresEventStore,
  type DataDirLock,
  type EventStore,
  initPgliteFolder,
  lockDataDir,
  type SqlClient,
  type StoreStats,
  startDurableSubscriber,
} from './store/index.js';
import {
  createSqlTaskView,
  createTaskCache,
  createTaskCommands,
  followTask,
  rebuildTaskView,
  TASK_EVENT_TYPES,
  taskAt,
} from './tasks/index.js';

const TASK_EVENT_TYPE_NAMES = Object.values(TASK_EVENT_TYPES);

export interface Gateway {
  url: string;
  store: EventStore;
  agents: readonly HostedAgent[];
  /** The MCP face: `/mcp` serves it over HTTP; the CLI's `mcp` command connects stdio to it. */
  mcp: Pick<McpFace, 'connect' | 'sessions'>;
  /** Work between processes (run jobs); its dead letters for the admin API and CLI. */
  bus: GatewayBus;
  /** What is open now: subscriptions, live listeners and SSE streams (to watch for leaks). */
  stats(): GatewayStats;
  /** Graceful: stop accepting, end streams, finish requests and appends in flight, close. */
  stop(): Promise<void>;
}

export interface GatewayStats extends StoreStats {
  /** SSE streams open (each watches the shutdown signal until it ends). */
  openStreams: number;
  /** Runs of agents in progress in this process. */
  runningTasks: number;
}

interface Database {
  store: EventStore;
  kind: 'pglite' | 'postgres';
  /** A connection for read models beside the events (the task view). */
  views: SqlClient;
  /** This process's hold on the embedded store's folder. */
  lock?: DataDirLock;
  /** The tenants' data keys, when personal data is encrypted (PII_ENCRYPTION). */
  keys?: TenantKeys;
  /** The store under the encrypting layer (events as stored), when there is one. */
  raw?: EventStore;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Spans go here too, each as it ends (tests: an in-memory exporter); tracing is then on. */
  traceExporter?: SpanExporter;
}

/** The composition root: config in, a listening gateway out. */
export async function startGateway(
  config: Config,
  logger: Logger,
  options: GatewayOptions = {},
): Promise<Gateway> {
  assertSafeExposure(config, logger);
  const issuer = config.AUTH_SERVER ? authServerIssuer(config) : undefined;
  const trusted = config.AUTH_ISSUERS ? await issuerConfigs(config.AUTH_ISSUERS) : [];
  await assertPortAvailable(config.HOST, config.PORT);
  const agents = await loadHostedAgents(resolve(config.AGENT_CARDS_DIR));
  const instance = config.INSTANCE_ID ?? hostname();
  const executors = createExecutors(agents, config, logger, instance);
  const runtimes = new Map(agents.map((agent) => [agent.name, runtimeOf(agent, executors)]));
  const db = await openDatabase(config, logger, 'gateway');
  const tracing = createGatewayTracing(config, instance, options.traceExporter);
  // Runs next to last: the spans of everything stopping before it are exported.
  const cleanups: (() => Promise<void>)[] = [() => db.close(), () => tracing.shutdown()];
  const cleanUp = async () => {
    for (const step of cleanups.reverse())
      await step().catch((error) => logger.warn('cleanup failed', { error }));
  };
  try {
    // Metrics on: every append and read of the store is timed (gateway-metrics.ts).
    const metrics = config.METRICS ? createGatewayMetrics() : undefined;
    const store = tracedStore(metrics ? instrumentStore(db.store, metrics) : db.store, tracing);
    // Held here so that a shredded tenant's plaintext copies can be dropped (privacy/).
    const taskCache = createTaskCache();
    const commands = createTaskCommands(store, { cache: taskCache });
    const view = await createSqlTaskView(db.views, config.DATABASE_SCHEMA);
    const projector = await startDurableSubscriber(store, {
      name: 'task-view',
      types: TASK_EVENT_TYPE_NAMES,
      handleBatch: (events) => {
        // Other instances' writes keep this process's copies of tasks current (shared stores).
        if (!store.exclusive) for (const event of events) commands.observe(event);
        return view.applyBatch(events);
      },
      // GetTask answers from the command handler's copies, ListTasks waits for the view (and
      // hurries it): so the view can write in fewer, larger batches.
      maxBatch: 2_000,
      maxBatchDelayMs: 50,
      checkpoint: { events: 2_000, ms: 1_000 },
      onError: (error, event) =>
        logger.error('task view stopped', { error, position: event?.globalPosition }),
    });
    cleanups.push(() => projector.stop());
    const catchUp = async () => {
      await projector.waitFor(await store.headPosition(), config.READ_CONSISTENCY_TIMEOUT_MS);
    };
    await catchUp();
    const keys = db.keys;
    const shredTenantData = keys
      ? (tenant: string) => shredTenant(tenant, { keys, view, settle: catchUp })
      : undefined;
    // A tenant shredded here or by another instance: no plaintext copy of its data may stay.
    keys?.onShred((tenant) => {
      taskCache.clear();
      void view
        .redactTenant(tenant, (task) => redactTask(task, 'shredded'))
        .catch((error) => logger.warn('could not redact a shredded tenant', { tenant, error }));
    });

    // The tamper-evident chain seals events as stored, off the append path. It must get the
    // raw store: a decorator that decrypts fields on read would seal (and verify) plaintext.
    const storedEvents = db.raw ?? db.store;
    const sealer = await startAuditChainSealer({
      store: storedEvents,
      client: db.views,
      schema: config.DATABASE_SCHEMA,
      onError: (error, event) =>
        logger.error('audit chain sealer failed', { error, position: event?.globalPosition }),
    });
    cleanups.push(() => sealer.stop());

    // Connected before runs start (a resumed run needs its MCP server or upstream); a peer
    // that is down does not stop start-up: its card is unavailable until it answers.
    cleanups.push(() => closeExecutors(executors, logger));
    // Set once the MCP face exists: it tells its sessions when an agent's card changes.
    let onCardChange = () => {};
    await startExecutors(agents, executors, store, logger, () => onCardChange());

    // Consumers drain before the store closes (cleanups run in reverse), and after the
    // lifecycle, which stops taking run jobs before it stops its runs.
    const bus = await openGatewayBus(config, {
      store,
      views: db.views,
      logger,
      instance,
      tracing,
    });
    cleanups.push(() => bus.close(config.SHUTDOWN_TIMEOUT_MS));

    const lifecycle = createTaskLifecycle({
      store,
      commands,
      view,
      leases: await createSqlInstanceLeases(db.views, config.DATABASE_SCHEMA),
      runtimeFor: (agent) => runtimes.get(agent),
      instance,
      leaseMs: config.RUN_LEASE_MS,
      bus,
      logger,
      tracing,
    });
    await lifecycle.start();
    cleanups.push(() => lifecycle.stop());

    const authServer = issuer
      ? await createAuthorizationServer({
          client: db.views,
          schema: config.DATABASE_SCHEMA,
          issuer,
          audience: config.AUTH_AUDIENCE,
          tokenTtlS: config.AUTH_TOKEN_TTL_S,
          algorithm: config.SIGNING_KEY_ALG,
          clockSkewS: config.AUTH_CLOCK_SKEW_S,
          ...(config.SIGNING_KEY_FILE ? { signingKeyFile: config.SIGNING_KEY_FILE } : {}),
        })
      : undefined;
    const auth = await createGatewayAuthenticator(
      config,
      db.views,
      trusted,
      authServer ? [authServer.trustedIssuer] : [],
    );
    cleanups.push(() => auth.close());
    const cards = createAgentCards({
      ...cardOptions(
        config,
        trusted.map((entry) => entry.issuer),
        authServer,
      ),
      features: { pushNotifications: config.PUSH_NOTIFICATIONS },
    });
    const denials = createDenialRecorder(store, {
      perSecond: config.SECURITY_AUDIT_PER_SECOND,
      burst: Math.max(1, Math.ceil(config.SECURITY_AUDIT_PER_SECOND * 4)),
      onError: (error) => logger.warn('could not record a refusal', { error }),
    });
    cleanups.push(() => denials.flush());

    // Cards and notification JWTs name the gateway by the URL it is reached at.
    let boundUrl = '';
    const push = await startGatewayPush(config, {
      store,
      views: db.views,
      commands,
      bus,
      ...(authServer ? { authServer } : {}),
      issuer: () => config.PUBLIC_URL ?? boundUrl,
      logger,
    });
    if (push) cleanups.push(() => push.stop());

    const service = createA2aService({
      commands,
      view,
      follow: (taskId, options) => followTask(store, taskId, options),
      stage: (command, context) => lifecycle.stage(command, context),
      taskAt: (taskId, position) => taskAt(store, taskId, position),
      catchUp,
      cards,
      ownerOnlyCancel: config.AUTH_OWNER_ONLY_CANCEL,
      ...(push ? { push: push.support } : {}),
    });
    const shutdown = new AbortController();
    // One listener per open stream, each removed when its stream ends: many is not a leak.
    setMaxListeners(Number.POSITIVE_INFINITY, shutdown.signal);
    // Bound to every interface with no PUBLIC_URL, the gateway has no one address to give:
    // cards then name the host each request was sent to.
    const wildcard = isWildcardHost(config.HOST);
    const publicUrl = (requestHost: string | undefined) =>
      config.PUBLIC_URL ??
      (wildcard && requestHost && VALID_HOST.test(requestHost)
        ? `http://${requestHost}`
        : boundUrl);
    const rpcBinding = createJsonRpcBinding(service, {
      logger,
      maxBatch: config.JSONRPC_MAX_BATCH,
    });
    const binding = metrics ? instrumentBinding(rpcBinding, metrics, logger) : rpcBinding;
    // MCP calls go through the same binding as JSON-RPC: one set of scope and tenant rules.
    const mcp = createMcpFace({
      agents,
      binding,
      store,
      logger,
      maxBodyBytes: config.MAX_BODY_BYTES,
      heartbeatMs: config.SSE_HEARTBEAT_MS,
      ...(auth.authenticator.required
        ? {
            denied: (caller, reason) =>
              denials.record({
                kind: 'forbidden',
                principal: caller.name,
                reason,
                path: '/mcp',
                ...(caller.tenant ? { tenant: caller.tenant } : {}),
              }),
          }
        : {}),
    });
    onCardChange = () => mcp.toolsChanged();
    const agentHealth = () =>
      Object.fromEntries(agents.map((agent) => [agent.name, executors.get(agent.name)!.health()]));
    const openStreams = () => getEventListeners(shutdown.signal, 'abort').length;
    const taskView = { name: 'task-view', subscriber: projector, types: TASK_EVENT_TYPE_NAMES };
    if (metrics)
      registerGatewayGauges(metrics, {
        store: db.store,
        view,
        subscribers: [taskView],
        lagCap: Math.max(config.READY_MAX_LAG_EVENTS + 1, 1_000),
        openStreams,
        runningTasks: () => lifecycle.running,
        bus,
        agentHealth,
        logger,
      });
    // Every migration is applied by now: readiness fails if the schema loses one.
    const migrated = await migrationCounts(db.views, config.DATABASE_SCHEMA);
    const app = createApp({
      store,
      storeKind: db.kind,
      logger,
      ...(auth.authenticator.required
        ? {
            auth: {
              authenticator: auth.authenticator,
              logger,
              denials,
              rateLimiter: createRateLimiter({
                perSecond: config.RATE_LIMIT_PER_SECOND,
                burst: config.RATE_LIMIT_BURST,
              }),
            },
          }
        : {}),
      ...(auth.apiKeys ? { apiKeys: auth.apiKeys } : {}),
      ...(authServer ? { authServer } : {}),
      ...(push ? { jwks: push.jwks } : {}),
      agentHealth,
      a2a: {
        agents,
        cards,
        binding,
        publicUrl,
        cardsVaryByHost: wildcard && !config.PUBLIC_URL,
        maxBodyBytes: config.MAX_BODY_BYTES,
        heartbeatMs: config.SSE_HEARTBEAT_MS,
        shutdown: shutdown.signal,
      },
      mcp: (request, caller) => mcp.handle(request, caller),
      bus,
      ui: config.UI,
      tracing,
      auditChain: {
        verify: (tenant) =>
          verifyAuditChain(storedEvents, db.views, config.DATABASE_SCHEMA, {
            ...(tenant !== undefined ? { tenant } : {}),
          }),
      },
      projections: {
        rebuildTaskView: ({ signal, onProgress }) =>
          rebuildTaskView({
            store,
            client: db.views,
            schema: config.DATABASE_SCHEMA,
            signal,
            onProgress,
          }),
      },
      ...(metrics ? { metrics, metricsPublic: config.METRICS_PUBLIC } : {}),
      readiness: gatewayReadinessChecks({
        store: db.store,
        views: db.views,
        schema: config.DATABASE_SCHEMA,
        migrated,
        taskView,
        maxLagEvents: config.READY_MAX_LAG_EVENTS,
        bus,
        agentHealth,
      }),
      ...(config.CORS_ORIGINS.length > 0
        ? { cors: { origins: config.CORS_ORIGINS, apiKeyHeader: config.API_KEY_HEADER } }
        : {}),
      maxSseStreams: config.MAX_SSE_STREAMS,
      ...(shredTenantData ? { shredTenant: shredTenantData } : {}),
    });
    const server: RunningServer = await startHttpServer(app, {
      host: config.HOST,
      port: config.PORT,
      timeouts: httpTimeouts(config),
      maxConnections: config.MAX_CONNECTIONS,
    });
    boundUrl = wildcard ? `http://localhost:${server.port}` : server.url;
    // So that a second process on the same folder can say where this one answers.
    await db.lock
      ?.update({ url: server.url })
      .catch((error) => logger.warn('could not record the URL in the data folder lock', { error }));
    logger.info('gateway listening', {
      url: server.url,
      publicUrl: config.PUBLIC_URL ?? (wildcard ? 'the Host of each request' : server.url),
      store: db.kind,
      agents: agents.map((agent) => agent.name),
      instance,
    });

    let stopping: Promise<void> | undefined;
    return {
      url: server.url,
      store,
      agents,
      mcp,
      bus,
      stats: () => ({
        ...store.stats(),
        openStreams: openStreams(),
        runningTasks: lifecycle.running,
      }),
      stop() {
        stopping ??= (async () => {
          logger.info('shutting down: ending streams, finishing requests in flight');
          // Streams end now (clients resume elsewhere with Last-Event-ID); requests finish.
          shutdown.abort();
          // MCP sessions end too: their open streams would hold the server for its whole grace.
          await mcp.close();
          await server.close(config.SHUTDOWN_TIMEOUT_MS);
          await cleanUp();
          logger.info('shut down cleanly');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

function createExecutors(
  agents: readonly HostedAgent[],
  config: Config,
  logger: Logger,
  instance: string,
): Map<string, HostedExecutor> {
  const gateway = {
    id: config.GATEWAY_ID ?? config.PUBLIC_URL ?? instance,
    maxDelegationDepth: config.DELEGATION_MAX_DEPTH,
  };
  return new Map(
    agents.map((agent) => [
      agent.name,
      createHostedExecutor(agent.executor, {
        agent: agent.name,
        baseDir: agent.baseDir,
        timeoutMs: agent.timeoutMs,
        log: logger,
        gateway,
      }),
    ]),
  );
}

/**
 * Starts every executor; an MCP or upstream agent's card then follows its executor's content,
 * each change recorded (`agent.card_observed`) so the audit shows which card callers saw.
 */
async function startExecutors(
  agents: readonly HostedAgent[],
  executors: ReadonlyMap<string, HostedExecutor>,
  store: EventStore,
  logger: Logger,
  changed: () => void,
): Promise<void> {
  await Promise.all(
    agents.map(async (agent) => {
      const executor = executors.get(agent.name)!;
      await executor.start();
      if (agent.executor.kind === 'builtin') return;
      const follow = () => {
        const content = executor.card();
        applyCardContent(
          agent,
          content,
          () => `not connected yet: ${executor.health().detail ?? 'starting'}`,
        );
        if (agent.unavailable)
          logger.warn('agent card unavailable', { agent: agent.name, reason: agent.unavailable });
        if (content && !agent.unavailable)
          void recordCardContent(store, agent.name, content).catch((error: unknown) =>
            logger.warn('could not record an agent card change', { agent: agent.name, error }),
          );
      };
      executor.onCardChange(() => {
        follow();
        changed();
      });
      follow();
    }),
  );
}

async function closeExecutors(
  executors: ReadonlyMap<string, HostedExecutor>,
  logger: Logger,
): Promise<void> {
  await Promise.all(
    [...executors].map(([agent, executor]) =>
      executor
        .close()
        .catch((error: unknown) => logger.warn('executor close failed', { agent, error })),
    ),
  );
}

/**
 * What the cards announce: every enabled way to authenticate. With the built-in
 * authorization server, its active key signs them and its JWKS (`jku`) verifies them.
 */
function cardOptions(
  config: Config,
  issuers: readonly string[],
  authServer: AuthorizationServer | undefined,
): AgentCardsOptions {
  const auth: EnabledAuth = {
    ...(issuers.length > 0 || authServer
      ? { bearer: { issuers: [...issuers, ...(authServer ? [authServer.issuer] : [])] } }
      : {}),
    ...(authServer
      ? {
          oauth: {
            tokenUrl: authServer.metadata.token_endpoint,
            scopes: Object.fromEntries(ALL_SCOPES.map((scope) => [scope, SCOPE_TEXT[scope]])),
          },
        }
      : {}),
    ...(config.AUTH_API_KEYS ? { apiKey: { header: config.API_KEY_HEADER } } : {}),
  };
  if (!authServer) return { auth };
  const ring = authServer.keys;
  return {
    auth,
    // The active key at signing time: a rotation signs the next cards built.
    signer: async (card, baseUrl) =>
      createCardSigner(await ring.active(), { jku: authServer.metadata.jwks_uri })(card, baseUrl),
  };
}

const SCOPE_TEXT: Record<(typeof ALL_SCOPES)[number], string> = {
  'a2a:send': 'send messages (SendMessage, SendStreamingMessage)',
  'a2a:read': "read the tenant's tasks (GetTask, ListTasks, SubscribeToTask, audit)",
  'a2a:cancel': 'cancel tasks (CancelTask)',
  'a2a:admin': 'every tenant; API keys and the security audit',
  'a2a:audit-pii': 'personal data (message and artifact content) in audit timelines',
};

function runtimeOf(
  agent: HostedAgent,
  executors: ReadonlyMap<string, HostedExecutor>,
): AgentRuntime {
  const hosted = executors.get(agent.name)!;
  return {
    executor: hosted.executor,
    executorName: hosted.name,
    timeoutMs: agent.timeoutMs,
    onRestart: agent.onRestart,
    claim: hosted.claim,
  };
}

/** A Host header fit to build a URL from: a name or address and an optional port. */
const VALID_HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** PostgreSQL when DATABASE_URL is set, else embedded PGlite in DATA_DIR; migrated. */
async function openDatabase(config: Config, logger: Logger, role: string): Promise<Database> {
  const registry = createGatewayRegistry();
  // Encrypted, the store sees ciphertext: the encrypting layer validates and upcasts instead.
  const storeRegistry = config.PII_ENCRYPTION ? {} : { registry };
  const onBackgroundError = (error: unknown) =>
    logger.warn('event store background error', { error });
  if (config.DATABASE_URL) {
    const target = new URL(config.DATABASE_URL);
    logger.info('opening PostgreSQL event store', {
      host: target.host,
      database: target.pathname.slice(1),
    });
    const store = await openWithRetry(
      () =>
        createPostgresEventStore({
          connectionString: config.DATABASE_URL!,
          schema: config.DATABASE_SCHEMA,
          max: config.DATABASE_POOL_SIZE,
          ...storeRegistry,
          onBackgroundError,
        }),
      {
        what: `PostgreSQL at ${target.host}${target.pathname}`,
        budgetMs: config.DATABASE_CONNECT_TIMEOUT_MS,
        logger,
      },
    );
    const views = createPgClient({
      connectionString: config.DATABASE_URL,
      max: 4,
      applicationName: 'a2a-gateway:views',
    });
    const sealed = await withEncryption(config, store, views, registry).catch(async (error) => {
      await store.close();
      await views.close();
      throw error;
    });
    return {
      ...sealed,
      kind: 'postgres',
      views,
      async close() {
        await sealed.keys?.close();
        await sealed.store.close();
        await views.close();
      },
    };
  }
  const dataDir = resolve(config.DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  // Before PGlite touches the folder: two processes on one PGlite folder corrupt it.
  const lock = await lockDataDir(dataDir, { role });
  logger.info(
    'opening embedded PGlite event store (the first start initialises it: a few seconds)',
    { dataDir },
  );
  // One PGlite per folder and process: the store and the views share it.
  const pglite = await initPgliteFolder(dataDir)
    .then(() => PGlite.create(dataDir))
    .catch(async (error: unknown) => {
      await lock.release();
      throw error;
    });
  try {
    const store = await createPgliteEventStore({
      pglite,
      schema: config.DATABASE_SCHEMA,
      ...storeRegistry,
      onBackgroundError,
    });
    const views = createPgliteClient(pglite, { owned: false });
    const sealed = await withEncryption(config, store, views, registry).catch(async (error) => {
      await store.close();
      throw error;
    });
    return {
      ...sealed,
      kind: 'pglite',
      views,
      lock,
      async close() {
        await sealed.keys?.close();
        await sealed.store.close();
        await pglite.close();
        await lock.release();
      },
    };
  } catch (error) {
    await pglite.close();
    await lock.release();
    throw error;
  }
}

/**
 * With PII_ENCRYPTION, the store behind the encrypting layer (privacy/) and the tenants'
 * data keys in the same database; else the store as it is.
 */
async function withEncryption(
  config: Config,
  inner: EventStore,
  views: SqlClient,
  registry: ReturnType<typeof createGatewayRegistry>,
): Promise<{ store: EventStore; keys?: TenantKeys; raw?: EventStore }> {
  if (!config.PII_ENCRYPTION) return { store: inner };
  const keys = await createSqlTenantKeys(views, {
    schema: config.DATABASE_SCHEMA,
    masterKey: parseMasterKey(config.ENCRYPTION_MASTER_KEY!),
  });
  return { store: createEncryptingStore(inner, { keys, registry }), keys, raw: inner };
}

/**
 * `privacy shred` without a running gateway's help: deletes the tenant's data keys (running
 * instances on the same PostgreSQL are told) and redacts its task view rows. Needs no master
 * key: deleting a key does not open it.
 */
export async function shredTenantOffline(
  config: Config,
  logger: Logger,
  tenant: string,
): Promise<ShredResult> {
  const db = await openDatabase(config, logger, 'cli');
  let keys = db.keys;
  try {
    keys ??= await createSqlTenantKeys(db.views, { schema: config.DATABASE_SCHEMA });
    const view = await createSqlTaskView(db.views, config.DATABASE_SCHEMA);
    return await shredTenant(tenant, { keys, view });
  } finally {
    if (!db.keys) await keys?.close();
    await db.close();
  }
}

/** The configured event store alone, for operator commands. */
export async function openEventStore(
  config: Config,
  logger: Logger,
): Promise<{
  store: EventStore;
  /** Events as stored (ciphertext with PII_ENCRYPTION): what retention archives. */
  stored: EventStore;
  views: SqlClient;
  close: () => Promise<void>;
}> {
  const db = await openDatabase(config, logger, 'cli');
  return { store: db.store, stored: db.raw ?? db.store, views: db.views, close: () => db.close() };
}

/** The bus's dead letters for the CLI: the configured store and transport, no consumers. */
export async function openOperatorDeadLetters(
  config: Config,
  logger: Logger,
): Promise<{ deadLetters: GatewayBus['deadLetters']; close: () => Promise<void> }> {
  const db = await openDatabase(config, logger, 'cli');
  try {
    const bus = await openOperatorBus(config, { store: db.store, views: db.views, logger });
    return {
      deadLetters: bus.deadLetters,
      close: async () => {
        await bus.close(0);
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** Applies every pending migration (event store and read models), then closes (`migrate`). */
export async function migrateDatabase(config: Config, logger: Logger): Promise<string> {
  const db = await openDatabase(config, logger, 'migrate');
  try {
    await createSqlTaskView(db.views, config.DATABASE_SCHEMA);
    await createSqlInstanceLeases(db.views, config.DATABASE_SCHEMA);
    await migrateAuthTables(db.views, config.DATABASE_SCHEMA);
    await migrateBus(db.views, config.DATABASE_SCHEMA);
    await migrateAuditChain(db.views, config.DATABASE_SCHEMA);
    await migrateTenantKeys(db.views, config.DATABASE_SCHEMA);
    return db.kind;
  } finally {
    await db.close();
  }
}
