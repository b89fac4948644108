import fs from 'node:fs';
import path from 'node:path';
import { constants as http2Constants } from 'node:http2';
import type { FastifyInstance } from 'fastify';
import { AccountsService } from './accounts/accounts-service.ts';
import type { ApprovalRequirement } from './approvals/approval-step.ts';
import type { ApprovalsService } from './approvals/approvals-service.ts';
import { registerAuditMetrics } from './audit/audit-metrics.ts';
import { auditRepository } from './audit/audit-repository.ts';
import { AuditTrail, type AuditTrailOptions } from './audit/audit-trail.ts';
import { AuthorizationLinks } from './accounts/authorization-links.ts';
import { findMalformedIdentifiers } from './accounts/identifier-report.ts';
import { OAuthFlow } from './accounts/oauth-flow.ts';
import { RevocationQueue } from './accounts/revocation-queue.ts';
import { TokenRefresher } from './accounts/token-refresher.ts';
import { OAuthClient } from './auth/oauth/oauth-client.ts';
import { ChangeFeed } from './changes.ts';
import type { LoadedConnection } from './connections/connections-service.ts';
import type { OAuthPattern } from './connectors/definition-schema.ts';
import { ApiClientsService } from './clients/api-clients-service.ts';
import { AppTokenSigner } from './clients/app-tokens.ts';
import { type BootstrapClient, ensureBootstrapClient } from './clients/bootstrap.ts';
import { type Clock, systemClock } from './clock.ts';
import { ALPN_PROTOCOLS, type DualProtocolServer, type Http2Handler, listenDualProtocol } from './compat/dual-protocol.ts';
import type { NodeHandler } from './compat/grpc-handler.ts';
import type { Config } from './config.ts';
import { createGuardrails } from './guardrails.ts';
import { ConnectionsService } from './connections/connections-service.ts';
import { loadCatalog } from './connectors/catalog.ts';
import { ConnectorsService } from './connectors/connectors-service.ts';
import { buildApp } from './http/app.ts';
import { startDraining } from './http/draining.ts';
import { createAuthorizationServer } from './authorization-server/create-authorization-server.ts';
import { createMcp } from './mcp/create-mcp.ts';
import { ExecutorToolProvider } from './mcp/executor-tool-provider.ts';
import type { McpToolProvider } from './mcp/tool-provider.ts';
import { packageRoot } from './http/pages/package-files.ts';
import { AccountResolver } from './proxy/account-resolver.ts';
import { createCredentialVerifier } from './proxy/credential-verifier.ts';
import { EgressPolicy } from './proxy/egress-policy.ts';
import { ConcurrencyLimiter } from './proxy/concurrency-limiter.ts';
import { Forwarder } from './proxy/forwarder.ts';
import { ProxyMetrics } from './proxy/metrics.ts';
import type { PipelineLog, ProxyPipeline } from './proxy/pipeline.ts';
import { createProxyPipeline } from './proxy/steps/index.ts';
import { RequestLog } from './proxy/request-log.ts';
import { UsageRecorder } from './proxy/usage-recorder.ts';
import { InputValidators } from './tools/input-validators.ts';
import { OpenApiImporter } from './tools/openapi-import/openapi-importer.ts';
import { ToolExecutor } from './tools/tool-executor.ts';
import { ToolsService } from './tools/tools-service.ts';
import { registerStatementMetric } from './store/statement-metrics.ts';
import { openStore, type Store } from './store/store.ts';
import { deriveSubkeys, type Keyring, loadKeyring } from './vault/keyring.ts';
import { Vault } from './vault/vault.ts';
import { createWebhooks, type Webhooks } from './webhooks/create-webhooks.ts';
import type { DeliveryOptions } from './webhooks/delivery-worker.ts';

export const VERSION = '0.1.0';

export interface Server {
  app: FastifyInstance;
  store: Store;
  keyring: Keyring;
  bootstrap: BootstrapClient;
  /** The OAuth revocation retry queue this instance works (O17). */
  revocations: RevocationQueue;
  /** The one proxy pipeline: every front door (`/proxy`, tool execution, MCP) runs its calls through it. */
  pipeline: ProxyPipeline;
  /** Webhook endpoints, the event outbox and this instance's delivery worker (src/webhooks). */
  webhooks: Webhooks;
  /** Calls held for a person's approval (docs/approvals.md). */
  approvals: ApprovalsService;
  /** The audit trail (docs/audit.md): `audit.record(...)` for every credential use and change. */
  audit: AuditTrail;
  /**
   * Listens for HTTP/1.1 and HTTP/2 on one port (the Scalekit SDK's gRPC calls need HTTP/2, its
   * token and proxy calls HTTP/1.1; docs/compat.md) and resolves to the address, like
   * `app.listen`.
   */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

export interface ServerOverrides {
  clock?: Clock;
  /** Where log lines go (tests capture them for the canary sweep). */
  logStream?: NodeJS.WritableStream;
  /** Serve HTTPS (HTTP/1.1 and, via ALPN, h2) with this PEM key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** The built-in connector catalog; `catalog/` in the package by default. */
  catalogDir?: string;
  /** The tools MCP serves; by default the tools service and executor (ExecutorToolProvider). */
  mcpToolProvider?: McpToolProvider;
  /** Webhook delivery timing (tests shorten backoff); `start: false` leaves this instance's worker off. */
  webhookDelivery?: Partial<DeliveryOptions> & { start?: boolean };
  /**
   * Which calls need a person's approval (docs/approvals.md); by default the policies'
   * `require_approval` rule (src/policy/approval-requirement.ts).
   */
  approvalRequirement?: ApprovalRequirement;
  /** Tests: the audit trail's queue and timing, and its repository (e.g. one that blocks). */
  audit?: { options?: Partial<AuditTrailOptions>; wrapRepository?: (repository: ReturnType<typeof auditRepository>) => ReturnType<typeof auditRepository> };
}

/** The composition root: builds every part from the config and wires them together. */
export async function createServer(config: Readonly<Config>, overrides: ServerOverrides = {}): Promise<Server> {
  const clock = overrides.clock ?? systemClock;
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const keyring = loadKeyring({ encryptionKey: config.encryptionKey, dataDir: config.dataDir });
  const store = await openStore(
    config.database.kind === 'sqlite' ? { kind: 'sqlite', path: config.database.path } : { kind: 'postgres', url: config.database.url },
  );
  let startedAudit: AuditTrail | undefined;
  try {
    await checkKeyMatchesStore(store, keyring, clock);
    const vault = new Vault(keyring);
    const changes = new ChangeFeed();
    let app: FastifyInstance | undefined;
    // Every credential use and change (docs/audit.md); its log lines go through the app's logger once there is one.
    const storedAudit = auditRepository(store.db, store.dialect);
    const audit = new AuditTrail({
      repository: overrides.audit?.wrapRepository?.(storedAudit) ?? storedAudit,
      clock,
      log: { warn: (object, message) => app?.log.warn(object, message), error: (object, message) => app?.log.error(object, message) },
      options: { retentionMs: config.audit.retentionMs, holdMs: config.audit.holdMs, ...overrides.audit?.options },
    });
    startedAudit = audit;
    const clients = new ApiClientsService({
      store,
      clock,
      signer: new AppTokenSigner(deriveSubkeys(keyring, 'app-tokens')),
      tokenTtlSeconds: config.tokenTtlSeconds,
      audit,
    });
    // Every outbound call (proxy, verify, OAuth endpoints) obeys one egress policy (P8–P11).
    const egress = new EgressPolicy({ allowCidrs: config.egressAllowCidrs });
    const forwarder = new Forwarder({ ...config.upstream, egress });
    // RFC 8414: an OAUTH connector that gives only its issuer has its endpoints discovered when saved.
    const connectors = new ConnectorsService({
      store,
      clock,
      changes,
      discovery: { fetch: forwarder.fetch, timeoutMs: config.oauth.timeoutMs },
      egressAllows: (address) => egress.allowsAddress(address),
      audit,
    });
    const catalog = await connectors.installCatalog(loadCatalog(overrides.catalogDir ?? path.join(packageRoot(), 'catalog')));
    const connections = new ConnectionsService({ store, clock, changes, connectors, vault, publicUrl: config.publicUrl, audit });
    const clientFor = (connection: LoadedConnection) =>
      new OAuthClient(connection.connector.pattern as OAuthPattern, connections.oauthRegistration(connection), {
        timeoutMs: config.oauth.timeoutMs,
        clock,
        fetch: forwarder.fetch,
      });
    // O17: revocations on delete and disconnect go through a durable queue any instance works.
    const revocations = new RevocationQueue({
      store,
      vault,
      clock,
      clientFor,
      loadConnection: (id) => connections.loadById(id),
      log: {
        info: (details, message) => app?.log.info(details, message),
        warn: (details, message) => app?.log.warn(details, message),
        error: (details, message) => app?.log.error(details, message),
      },
      options: { leaseMs: config.oauth.timeoutMs * 3 },
      audit,
    });
    // Webhooks: account and approval events go to a durable outbox every instance works.
    const webhooks = createWebhooks({
      store,
      vault,
      clock,
      forwarder,
      egressAllows: (address) => egress.allowsAddress(address),
      log: {
        info: (details, message) => app?.log.info(details, message),
        warn: (details, message) => app?.log.warn(details, message),
        error: (details, message) => app?.log.error(details, message),
      },
      userAgent: `toolproxy-webhooks/${VERSION}`,
      options: overrides.webhookDelivery,
    });
    const accounts = new AccountsService({ store, vault, clock, changes, connections, revocations, outbox: webhooks.outbox.accounts, audit });
    const links = new AuthorizationLinks({
      store,
      vault,
      clock,
      changes,
      accounts,
      linkTtlSeconds: config.linkTtlSeconds,
      publicUrl: config.publicUrl,
      verifier: createCredentialVerifier(forwarder),
      allowedRedirectOrigins: config.allowedRedirectOrigins,
      audit,
    });
    const flow = new OAuthFlow({ store, vault, clock, changes, accounts, clientFor, verifyWindowMs: config.linkTtlSeconds * 1000, audit });
    const refresher = new TokenRefresher({
      store,
      vault,
      clock,
      changes,
      clientFor,
      loadConnection: (id) => connections.loadById(id),
      windowMs: config.oauth.refreshWindowMs,
      leaseMs: config.oauth.timeoutMs * 3,
      orphaned: (accountId, connection, credentials) => revocations.revokeOrphaned(accountId, connection, credentials),
      outbox: webhooks.outbox.accounts,
      audit,
    });
    const resolver = new AccountResolver({ store, vault, clock, changes, ttlMs: config.accountCacheTtlMs });
    const usage = new UsageRecorder({ store, clock, onError: (err) => app?.log.error({ err }, 'last_used_at flush failed') });
    const requestLog = new RequestLog({
      store,
      clock,
      maxRows: config.requestLog.maxRows,
      maxAgeMs: config.requestLog.maxAgeMs,
      onError: (err) => app?.log.error({ err }, 'request log write failed'),
    });
    const limiter = ConcurrencyLimiter.fromLimits(config.proxyLimits);
    const metrics = new ProxyMetrics({ requestLogDropped: () => requestLog.dropped, concurrency: limiter });
    // The app's logger exists only once the app does; the pipeline writes through it.
    const log: PipelineLog = {
      get level() {
        return app?.log.level ?? 'info';
      },
      debug: (object, message) => app?.log.debug(object, message),
      warn: (object, message) => app?.log.warn(object, message),
      error: (object, message) => app?.log.error(object, message),
    };
    const { policies, policyStep, approvals, approvalStep } = await createGuardrails({
      store,
      vault,
      clock,
      changes,
      config,
      audit,
      webhooks: webhooks.outbox,
      approvalRequirement: overrides.approvalRequirement,
      log: { error: (object, message) => app?.log.error(object, message) },
    });
    const pipeline = createProxyPipeline({
      resolver,
      policy: policyStep,
      forwarder,
      usage,
      refresher,
      refreshWindowMs: config.oauth.refreshWindowMs,
      clock,
      userAgent: `toolproxy/${VERSION}`,
      limiter,
      requestLog,
      audit,
      metrics,
      approval: approvalStep,
      totalTimeoutMs: config.upstream.totalTimeoutMs,
      log,
    });
    // An approved call nobody waits for runs through the same pipeline, door `approval`.
    approvals.attachRunner(pipeline);
    const toolsService = new ToolsService({ store, clock, changes, connectors, validators: new InputValidators(), cacheTtlMs: config.accountCacheTtlMs });
    const tools = {
      service: toolsService,
      // Tool calls (REST, gRPC, MCP) run through the same pipeline as /proxy.
      executor: new ToolExecutor({ tools: toolsService, pipeline, clock, ...config.tools }),
      // An import fetching its document by URL goes through the egress policy like every outbound call.
      importer: new OpenApiImporter({ store, clock, changes, connectors, fetch: forwarder.fetch }),
    };
    registerStatementMetric(metrics.registry, store.statements);
    webhooks.worker.counts.register(metrics.registry);
    registerAuditMetrics(metrics.registry, audit);
    const mcp = createMcp({
      config,
      store,
      clock,
      changes,
      keyring,
      links,
      registry: metrics.registry,
      provider: overrides.mcpToolProvider ?? new ExecutorToolProvider({ tools: tools.service, executor: tools.executor, store, changes }),
      version: VERSION,
      log: { info: (obj, msg) => app?.log.info(obj, msg), error: (obj, msg) => app?.log.error(obj, msg) },
    });
    // Client ID metadata documents are fetched through the egress policy, like every outbound call.
    const authorizationServer = createAuthorizationServer({ store, clock, mcp, publicUrl: config.publicUrl, fetch: forwarder.fetch });
    app = await buildApp(
      { clients, connectors, connections, accounts, links, pipeline, requestLog, audit, metrics, tools, approvals, oauth: { flow, secureCookies: config.publicUrl.startsWith('https:') }, mcp, authorizationServer, policies, webhooks: webhooks.endpoints },
      {
        logger: { level: config.logLevel, ...(overrides.logStream ? { stream: overrides.logStream } : {}) },
        bodyLimitBytes: config.bodyLimitBytes,
        version: VERSION,
        brand: config.brand,
        proxy: { metricsToken: config.metricsToken },
        // ALPN: HTTP/1.1 for browsers and the SDK's axios, h2 for its gRPC (src/compat).
        ...(overrides.tls ? { https: { ...overrides.tls, ALPNProtocols: ALPN_PROTOCOLS } } : {}),
      },
    );
    const bootstrap = await ensureBootstrapClient({ store, clients, dataDir: config.dataDir, fixed: config.bootstrapClient });
    const ready = app;
    const malformed = await findMalformedIdentifiers(store);
    if (malformed.count > 0) {
      ready.log.warn(
        { count: malformed.count, more: malformed.more, accounts: malformed.ids },
        'connected accounts whose identifier starts or ends with whitespace or holds control characters: calls cannot reach them (HTTP trims header values). Delete them (DELETE /api/v1/connected_accounts/{id}) and create them again with a clean identifier',
      );
    }
    revocations.start();
    if (overrides.webhookDelivery?.start !== false) webhooks.start();
    if (catalog.taken.length > 0) {
      ready.log.warn({ connectors: catalog.taken }, 'built-in connectors not installed: custom connectors already use their identifiers');
    }
    if (catalog.tools.taken.length > 0) {
      ready.log.warn({ tools: catalog.tools.taken }, 'built-in tools not installed: custom tools already use their names');
    }
    // Postgres: instances sharing the database hear each other's changes (DESIGN.md §4). Loaded
    // only then, like pg itself.
    const relay = config.database.kind === 'postgres'
      ? await (await import('./store/postgres-change-relay.ts')).startPostgresChangeRelay({ url: config.database.url, db: store.db, feed: changes, log: ready.log })
      : undefined;
    // Built-in connectors this start rewrote (an upgrade): instances already running drop what they cached.
    if (relay && (catalog.updated.length > 0 || catalog.tools.updated.length > 0 || catalog.tools.deleted.length > 0)) changes.configChanged();
    // The gRPC compatibility layer (descriptors, connect) is loaded on the first HTTP/2 request:
    // servers that never see the Scalekit SDK do not carry it in memory.
    let grpc: NodeHandler | undefined;
    let loadingGrpc: Promise<NodeHandler> | undefined;
    const loadGrpc = async () => (await import('./compat/grpc-handler.ts')).createGrpcHandler({
      clients,
      connections,
      accounts,
      links,
      flow,
      tools: { tools: tools.service, executor: tools.executor },
      log: ready.log,
      readMaxBytes: config.bodyLimitBytes,
      fallback: (request, response) => ready.routing(request as never, response as never),
    });
    const http2: Http2Handler = (request, response) => {
      if (grpc) return grpc(request, response);
      (loadingGrpc ??= loadGrpc()).then(
        (handler) => (grpc = handler)(request, response),
        (err: unknown) => {
          ready.log.error({ err }, 'the gRPC compatibility layer failed to load');
          response.stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
        },
      );
    };
    let listening: DualProtocolServer | undefined;
    return {
      app: ready,
      store,
      keyring,
      bootstrap,
      revocations,
      pipeline,
      webhooks,
      approvals,
      audit,
      async listen(host, port) {
        listening = await listenDualProtocol(ready, { host, port, http2 });
        return ready.listeningOrigin;
      },
      async close() {
        // Drain: what is in flight finishes (with connection: close), idle connections end now,
        // and nothing outlives TOOLPROXY_SHUTDOWN_DEADLINE_SECONDS.
        const stopDraining = startDraining(ready.server, { deadlineMs: config.shutdownDeadlineMs, log: ready.log, onDeadline: () => listening?.destroyAll(), sockets: listening?.sockets ?? [] });
        try {
          await ready.close();
        } finally {
          stopDraining();
        }
        await revocations.close();
        await webhooks.close();
        policies.close();
        await relay?.close();
        await usage.close();
        await requestLog.close();
        await audit.close();
        await forwarder.close();
        await store.close();
      },
    };
  } catch (error) {
    await startedAudit?.close().catch(() => undefined);
    await store.close();
    throw error;
  }
}

/**
 * S6: a restart with a different key must fail loudly at boot, not on every request later.
 * The store remembers the kids it has seen; at least one must be loaded now.
 */
async function checkKeyMatchesStore(store: Store, keyring: Keyring, clock: Clock): Promise<void> {
  const known = await store.encryptionKeys.list();
  if (known.length > 0 && !known.some((kid) => keyring.byKid.has(kid))) {
    throw new Error(
      `the encryption key does not match this database (it was written with key id ${known.join(', ')}; loaded: ${[...keyring.byKid.keys()].join(', ')}). Set TOOLPROXY_ENCRYPTION_KEY to the key this database was created with.`,
    );
  }
  await store.encryptionKeys.ensure(keyring.current.kid, clock());
}
