import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { AccountsService } from '../accounts/accounts-service.ts';
import type { AuthorizationLinks } from '../accounts/authorization-links.ts';
import type { ApiClientsService } from '../clients/api-clients-service.ts';
import type { ConnectionsService } from '../connections/connections-service.ts';
import type { ConnectorsService } from '../connectors/connectors-service.ts';
import { connectorDefinitionJsonSchema } from '../connectors/definition-schema.ts';
import type { ProxyService } from '../proxy/proxy-service.ts';
import { requireAppToken } from './authenticate.ts';
import { installErrorHandling } from './error-handler.ts';
import { REDACT_PATHS, serializeRequest } from './log-redaction.ts';
import { accountRoutes } from './routes/accounts.ts';
import { connectionRoutes } from './routes/connections.ts';
import { connectorRoutes } from './routes/connectors.ts';
import { hostedRoutes } from './routes/hosted.ts';
import { proxyRoutes } from './routes/proxy.ts';
import { tokenRoutes } from './routes/token.ts';
import { sharedSchemas } from './schemas.ts';

export interface AppServices {
  clients: ApiClientsService;
  connectors: ConnectorsService;
  connections: ConnectionsService;
  accounts: AccountsService;
  links: AuthorizationLinks;
  proxy: ProxyService;
}

export interface AppOptions {
  logger: { level: string; stream?: NodeJS.WritableStream };
  bodyLimitBytes: number;
  version: string;
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
  });

  installErrorHandling(app);
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
  hostedRoutes(app, services.links);

  await app.register(async (api) => {
    api.addHook('onRequest', requireAppToken(services.clients));
    connectorRoutes(api, services.connectors);
    connectionRoutes(api, services.connections);
    accountRoutes(api, services.accounts, services.links);
  });
  await app.register(async (proxy) => {
    proxy.addHook('onRequest', requireAppToken(services.clients));
    await proxyRoutes(proxy, services.proxy);
  });

  return app;
}
