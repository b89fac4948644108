import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiClientsService } from '../../clients/api-clients-service.ts';
import { errorResponses, Timestamp } from '../schemas.ts';

const ApiClient = Type.Object({
  client_id: Type.String({ examples: ['tpc_…'] }),
  name: Type.String(),
  is_bootstrap: Type.Boolean(),
  created_at: Timestamp,
  revoked_at: Type.Union([Timestamp, Type.Null()]),
});

/**
 * API clients: who may call this server. The secret is returned once, in the creation response,
 * and stored only as a digest; no other response ever carries it (S10).
 */
export function clientRoutes(app: FastifyInstance, clients: ApiClientsService): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['api clients'];

  api.post(
    '/api/v1/clients',
    {
      schema: {
        tags,
        summary: 'Create an API client; its client_secret is in this response only',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\x00-\\x1f\\x7f]+$' }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ client: ApiClient, client_secret: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { client, clientSecret } = await clients.create(request.body.name, { actor: request.actor });
      request.log.info({ client_id: client.client_id, by: request.clientId }, 'api client created');
      void reply.header('cache-control', 'no-store');
      return reply.code(201).send({ client, client_secret: clientSecret.reveal() });
    },
  );

  api.get(
    '/api/v1/clients',
    {
      schema: { tags, summary: 'List API clients, revoked ones included (never their secrets)', response: { 200: Type.Object({ clients: Type.Array(ApiClient) }) } },
    },
    async () => ({ clients: await clients.list() }),
  );

  api.delete(
    '/api/v1/clients/:client_id',
    {
      schema: {
        tags,
        summary: 'Revoke an API client (refused for the last active one)',
        params: Type.Object({ client_id: Type.String({ maxLength: 200 }) }),
      },
    },
    async (request, reply) => {
      const { client_id: clientId } = request.params;
      await clients.revoke(clientId, request.actor);
      request.log.info({ client_id: clientId, by: request.clientId }, 'api client revoked');
      return reply.code(204).send();
    },
  );
}
