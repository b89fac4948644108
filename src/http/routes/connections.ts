import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ConnectionsService } from '../../connections/connections-service.ts';
import { errorResponses, OAuthSettingsBody, PageQuery } from '../schemas.ts';

const NameParams = Type.Object({ name: Type.String({ maxLength: 100 }) });
const ConnectionResponse = Type.Object({ connection: Type.Ref('Connection') });

/** Connections (reference §2): named, configured instances of a connector. */
export function connectionRoutes(app: FastifyInstance, connections: ConnectionsService): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['connections'];

  api.post(
    '/api/v1/connections',
    {
      schema: {
        tags,
        summary: 'Create a connection',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100, description: 'The connectionName your code will pass.' }),
            connector: Type.String({ minLength: 1, maxLength: 200, description: 'Connector identifier or id.' }),
            enabled: Type.Optional(Type.Boolean()),
            ...OAuthSettingsBody,
          },
          { additionalProperties: false },
        ),
        response: { 201: ConnectionResponse, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send({ connection: await connections.create(request.body, request.actor) }),
  );

  api.get(
    '/api/v1/connections',
    {
      schema: {
        tags,
        summary: 'List connections',
        querystring: Type.Object({ connector: Type.Optional(Type.String({ maxLength: 200 })), ...PageQuery }),
        response: {
          200: Type.Object({
            connections: Type.Array(Type.Ref('Connection')),
            next_page_token: Type.Union([Type.String(), Type.Null()]),
            total_size: Type.Integer({ description: 'How many connections match, across all pages.' }),
          }),
        },
      },
    },
    async (request) => {
      const page = await connections.list(
        { pageSize: request.query.page_size ?? 50, pageToken: request.query.page_token ?? null },
        { connector: request.query.connector },
      );
      return { connections: page.items, next_page_token: page.nextPageToken, total_size: page.totalSize ?? page.items.length };
    },
  );

  api.get(
    '/api/v1/connections/:name',
    { schema: { tags, summary: 'Get a connection', params: NameParams, response: { 200: ConnectionResponse, ...errorResponses } } },
    async (request) => ({ connection: await connections.get(request.params.name) }),
  );

  api.patch(
    '/api/v1/connections/:name',
    {
      schema: {
        tags,
        summary: 'Update a connection: enable/disable it, or change its OAuth settings',
        params: NameParams,
        body: Type.Object({ enabled: Type.Optional(Type.Boolean()), ...OAuthSettingsBody }, { additionalProperties: false }),
        response: { 200: ConnectionResponse, ...errorResponses },
      },
    },
    async (request) => ({ connection: await connections.update(request.params.name, request.body, request.actor) }),
  );

  api.delete(
    '/api/v1/connections/:name',
    { schema: { tags, summary: 'Delete a connection (refused while it has connected accounts)', params: NameParams } },
    async (request, reply) => {
      await connections.delete(request.params.name, request.actor);
      return reply.code(204).send();
    },
  );
}
