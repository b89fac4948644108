import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ConnectorsService } from '../../connectors/connectors-service.ts';
import { errorResponses, PageQuery } from '../schemas.ts';

const IdentifierParams = Type.Object({ identifier: Type.String({ maxLength: 200 }) });
const ProviderResponse = Type.Object({ provider: Type.Ref('Provider') });
/** Create and replace also say what the definition will run into when used (the save succeeded). */
const SavedProviderResponse = Type.Object({
  provider: Type.Ref('Provider'),
  warnings: Type.Array(Type.Object({ code: Type.String(), path: Type.String(), message: Type.String() }), {
    description: 'E.g. UPSTREAM_ADDRESS_FORBIDDEN: a URL the egress policy will refuse to call (TOOLPROXY_EGRESS_ALLOW_CIDRS).',
  }),
});

/** Connectors (reference §1.1): the built-in catalog, read-only, and custom ones ("bring your own connector"). */
export function connectorRoutes(app: FastifyInstance, connectors: ConnectorsService): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['connectors'];
  // The definition is validated by the connector schema itself, which reports every problem.
  const definitionBody = { type: 'object', description: 'A connector definition; see GET /api/connector-definition.schema.json.' };

  api.post(
    '/api/v1/custom-providers',
    { schema: { tags, summary: 'Create a custom connector', body: definitionBody, response: { 201: SavedProviderResponse, ...errorResponses } } },
    async (request, reply) => reply.code(201).send(await connectors.create(request.body, request.actor)),
  );

  api.get(
    '/api/v1/providers',
    {
      schema: {
        tags,
        summary: 'List connectors: built-in (DEFAULT), custom (CUSTOM) or both (ALL, the default)',
        querystring: Type.Object({
          'filter.provider_type': Type.Optional(Type.Union([Type.Literal('CUSTOM'), Type.Literal('DEFAULT'), Type.Literal('ALL')])),
          ...PageQuery,
        }),
        response: { 200: Type.Object({ providers: Type.Array(Type.Ref('Provider')), next_page_token: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => {
      const page = await connectors.list(
        { pageSize: request.query.page_size ?? 50, pageToken: request.query.page_token ?? null },
        request.query['filter.provider_type'] ?? 'ALL',
      );
      return { providers: page.items, next_page_token: page.nextPageToken };
    },
  );

  api.get(
    '/api/v1/custom-providers/:identifier',
    { schema: { tags, summary: 'Get a connector, built-in or custom', params: IdentifierParams, response: { 200: ProviderResponse, ...errorResponses } } },
    async (request) => ({ provider: await connectors.get(request.params.identifier) }),
  );

  api.put(
    '/api/v1/custom-providers/:identifier',
    {
      schema: {
        tags,
        summary: 'Replace a custom connector definition (send every field: omitted fields are not kept); built-in ones are refused',
        params: IdentifierParams,
        body: definitionBody,
        response: { 200: SavedProviderResponse, ...errorResponses },
      },
    },
    async (request) => connectors.replace(request.params.identifier, request.body, request.actor),
  );

  api.delete(
    '/api/v1/custom-providers/:identifier',
    { schema: { tags, summary: 'Delete a custom connector (refused while connections use it, and for built-in ones)', params: IdentifierParams } },
    async (request, reply) => {
      await connectors.delete(request.params.identifier, request.actor);
      return reply.code(204).send();
    },
  );
}
