import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { AccountsService } from '../accounts/accounts-service.ts';
import type { ApprovalsService } from '../approvals/approvals-service.ts';
import type { AuditTrail } from '../audit/audit-trail.ts';
import { auditRoutes } from './routes/audit.ts';
import type { AuthorizationLinks } from '../accounts/authorization-links.ts';
import type { OAuthFlow } from '../accounts/oauth-flow.ts';
import { oauthRoutes } from './routes/oauth.ts';
import type { ApiClientsService } from '../clients/api-clients-service.ts';
import type { ConnectionsService } from '../connections/connections-service.ts';
import type { ConnectorsService } from '../connectors/connectors-service.ts';
import { connectorDefinitionJsonSchema } from '../connectors/definition-schema.ts';
import type { ProxyMetrics } from '../proxy/metrics.ts';
import type { ProxyPipeline } from '../proxy/pipeline.ts';
import type { RequestLog } from '../proxy/request-log.ts';
import type { OpenApiImporter } from '../tools/openapi-import/openapi-importer.ts';
import type { ToolExecutor } from '../tools/tool-executor.ts';
import type { ToolsService } from '../tools/tools-service.ts';
import type { McpServices } from '../mcp/create-mcp.ts';
import type { AuthorizationServer } from '../authorization-server/create-authorization-server.ts';
import { authorizationServerRoutes } from './routes/authorization-server.ts';
import { appTokenActor, requireAppToken } from './authenticate.ts';
import { handleClientError, refuseConnect } from './client-errors.ts';
import { frameworkErrors, installErrorHandling } from './error-handler.ts';
import { REDACT_PATHS, serializeRequest } from './log-redaction.ts';
import { installProxyDispatch } from './proxy-dispatch.ts';
import { type Brand, DEFAULT_BRAND } from './pages/brand.ts';
import { pageLook } from './pages/theme.ts';
import { accountRoutes } from './routes/accounts.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { clientRoutes } from './routes/clients.ts';
import { connectionRoutes } from './routes/connections.ts';
import { connectorRoutes } from './routes/connectors.ts';
import { customToolRoutes } from './routes/custom-tools.ts';
import { executeToolRoutes } from './routes/execute-tool.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { hostedRoutes } from './routes/hosted.ts';
import { mcpConfigRoutes } from './routes/mcp-configs.ts';
import { mcpEndpointRoutes } from './routes/mcp-endpoint.ts';
import { metricsRoutes } from './routes/metrics.ts';
import type { PoliciesService } from '../policy/policies-service.ts';
import { policyRoutes } from './routes/policies.ts';
import { proxyRoutes } from './routes/proxy.ts';
import { requestLogRoutes } from './routes/request-log.ts';
import { tokenRoutes } from './routes/token.ts';
import { toolRoutes } from './routes/tools.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import type { WebhookEndpoints } from '../webhooks/endpoints-service.ts';
import { sharedSchemas } from './schemas.ts';

export interface AppServices {
  /** The OAuth authorization-code flow (hosted redirect, callback, user verification). */
  oauth?: { flow: OAuthFlow; secureCookies: boolean };
  clients: ApiClientsService;
  connectors: ConnectorsService;
  connections: ConnectionsService;
  accounts: AccountsService;
  links: AuthorizationLinks;
  /** The one proxy pipeline (src/proxy/pipeline.ts): `/proxy` is one of its front doors. */
  pipeline: ProxyPipeline;
  /** The proxy's request log (GET /api/v1/request_log) and metrics (GET /metrics). */
  requestLog?: RequestLog;
  /** The audit trail (docs/audit.md): verify and export. */
  audit?: AuditTrail;
  metrics?: ProxyMetrics;
  /** Tools (listing, custom tools) and their OpenAPI import. */
  tools?: { service: ToolsService; importer: OpenApiImporter; executor?: ToolExecutor };
  /** MCP server configs, session tokens and the MCP endpoint (src/mcp). */
  mcp?: McpServices;
  /** The OAuth authorization server MCP clients connect with (src/authorization-server). */
  authorizationServer?: AuthorizationServer;
  /** Connection and account policies (src/policy). */
  policies?: PoliciesService;
  /** Calls held for a person's approval (docs/approvals.md). */
  approvals?: ApprovalsService;
  /** Webhook endpoints and their deliveries (src/webhooks). */
  webhooks?: WebhookEndpoints;
}

export interface AppOptions {
  logger: { level: string; stream?: NodeJS.WritableStream };
  bodyLimitBytes: number;
  version: string;
  /** Name, colour and logo of the dashboard and hosted pages. */
  brand?: Brand;
  /** TLS key and certificate (PEM), and the ALPN protocols to offer: the server speaks HTTPS. */
  https?: { key: string | Buffer; cert: string | Buffer; ALPNProtocols: string[] };
  /** TOOLPROXY_METRICS_TOKEN (the proxy's own settings are the pipeline's). */
  proxy?: { metricsToken?: string | undefined };
}

/** Builds the HTTP app from ready services. Routes hold no business logic and no SQL. */
export async function buildApp(services: AppServices, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: options.logger.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest },
      ...(options.logger.stream ? { stream: options.logger.stream } : {}),
    },
    // The proxy route writes one line per call itself; two generic lines per call would cost the
    // hot path more than the call's own overhead.
    logController: new LogController({ disableRequestLogging: (request) => (request.url ?? '').startsWith('/proxy') }),
    bodyLimit: options.bodyLimitBytes,
    // Slowloris: a request must arrive in full within this time (checklist P13).
    requestTimeout: 120_000,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array' } },
    // Requests the HTTP parser refuses get the documented error body too (src/http/client-errors.ts).
    clientErrorHandler: handleClientError,
    // While draining, a request on a connection already open is served, with connection: close
    // (src/http/draining.ts), rather than refused with a 503 outside the documented error shape.
    return503OnClosing: false,
    // A URL the router cannot read (`/api/v1/connections/%`, an over-long parameter) answers in our shape.
    frameworkErrors,
    ...(options.https ? { https: options.https } : {}),
  });

  installErrorHandling(app);
  app.server.on('connect', refuseConnect(app.log));
  for (const schema of sharedSchemas) app.addSchema(schema);
  await app.register(formbody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'toolproxy API',
        version: options.version,
        description: 'Connectors, connections, connected accounts, authorization links and the Tool Proxy.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/api/connector-definition.schema.json', { schema: { hide: true } }, async () => connectorDefinitionJsonSchema());
  tokenRoutes(app, services.clients);
  const look = pageLook(options.brand ?? DEFAULT_BRAND);
  hostedRoutes(app, services.links, look, services.oauth);
  if (services.oauth) oauthRoutes(app, services.oauth.flow, { look, secureCookies: services.oauth.secureCookies });
  await dashboardRoutes(app, { brand: look.brand, look });

  await app.register(async (api) => {
    api.addHook('onRequest', requireAppToken(services.clients));
    connectorRoutes(api, services.connectors);
    connectionRoutes(api, services.connections);
    const mcpVerify = services.authorizationServer?.requests;
    accountRoutes(api, services.accounts, services.links, services.oauth?.flow, mcpVerify && ((id, identifier) => mcpVerify.verifyUser(id, identifier)));
    clientRoutes(api, services.clients);
    if (services.requestLog) requestLogRoutes(api, services.requestLog);
    if (services.audit) auditRoutes(api, services.audit);
    if (services.tools) {
      toolRoutes(api, services.tools.service);
      customToolRoutes(api, { tools: services.tools.service, importer: services.tools.importer });
      if (services.tools.executor) executeToolRoutes(api, services.tools.executor);
    }
    if (services.mcp) mcpConfigRoutes(api, services.mcp);
    if (services.policies) policyRoutes(api, services.policies);
    if (services.approvals) approvalRoutes(api, services.approvals);
    if (services.webhooks) webhookRoutes(api, services.webhooks);
  });
  if (services.mcp) {
    const { notifier } = services.mcp;
    await mcpEndpointRoutes(app, services.mcp.endpoint, { bodyLimitBytes: services.mcp.bodyLimitBytes });
    // Open notification streams would keep the server from closing: end them first.
    app.addHook('preClose', async () => notifier.closeAll());
  }
  if (services.authorizationServer) authorizationServerRoutes(app, services.authorizationServer, { look, secureCookies: services.oauth?.secureCookies ?? false });
  // `/proxy`: a Fastify route (HTTP/2, inject, and what the dispatch leaves to it) and, in front
  // of Fastify on HTTP/1.1, the same door without Fastify's per-request work (proxy-dispatch.ts).
  const actorOf = appTokenActor(services.clients);
  await app.register(async (proxy) => {
    proxy.addHook('onRequest', requireAppToken(services.clients, actorOf));
    await proxyRoutes(proxy, { pipeline: services.pipeline });
  });
  installProxyDispatch(app, { pipeline: services.pipeline, actorOf, log: app.log });
  if (services.metrics) metricsRoutes(app, services.metrics, { clients: services.clients, metricsToken: options.proxy?.metricsToken });

  return app;
}
