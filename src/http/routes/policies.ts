import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { PoliciesService } from '../../policy/policies-service.ts';
import { PolicyDocumentSchema } from '../../policy/policy-schema.ts';
import { errorResponses, Timestamp } from '../schemas.ts';

const NameParams = Type.Object({ name: Type.String({ maxLength: 100 }) });
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const Policy = Type.Union([PolicyDocumentSchema, Type.Null()]);
const UpdatedAt = Type.Union([Timestamp, Type.Null()]);
const ConnectionPolicy = Type.Object({ connection_name: Type.String(), policy: Policy, updated_at: UpdatedAt });
const AccountPolicy = Type.Object({ connected_account_id: Type.String(), policy: Policy, updated_at: UpdatedAt });
const EffectivePolicy = Type.Object({
  connection_name: Type.String(),
  connected_account_id: Type.String(),
  connection_policy: Policy,
  account_policy: Policy,
  layers: Type.Array(PolicyDocumentSchema, { description: 'Every layer applies: a call must pass each of them (docs/policies.md).' }),
});

/**
 * Policies (docs/policies.md): a connection's, a connected account's (which only narrows its
 * connection's) and the layers a call on an account is checked against. The service validates a
 * document and reports every problem (POLICY_INVALID, POLICY_WIDENS); Fastify's Ajv would coerce
 * the body first, so it does not validate these bodies.
 */
export function policyRoutes(app: FastifyInstance, policies: PoliciesService): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['policies'];
  const serviceValidates = () => () => true;

  api.get(
    '/api/v1/connections/:name/policy',
    { schema: { tags, summary: "Get a connection's policy (null when it has none)", params: NameParams, response: { 200: ConnectionPolicy, ...errorResponses } } },
    async (request) => ({ connection_name: request.params.name, ...(await policies.getConnectionPolicy(request.params.name)) }),
  );
  api.put(
    '/api/v1/connections/:name/policy',
    {
      validatorCompiler: serviceValidates,
      schema: { tags, summary: "Set a connection's policy (replaces it)", params: NameParams, body: PolicyDocumentSchema, response: { 200: ConnectionPolicy, ...errorResponses } },
    },
    async (request) => ({ connection_name: request.params.name, ...(await policies.setConnectionPolicy(request.params.name, request.body, request.actor)) }),
  );
  api.delete(
    '/api/v1/connections/:name/policy',
    { schema: { tags, summary: "Delete a connection's policy", params: NameParams } },
    async (request, reply) => {
      await policies.deleteConnectionPolicy(request.params.name, request.actor);
      return reply.code(204).send();
    },
  );

  api.get(
    '/api/v1/connected_accounts/:id/policy',
    { schema: { tags, summary: "Get a connected account's narrowing policy (null when it has none)", params: IdParams, response: { 200: AccountPolicy, ...errorResponses } } },
    async (request) => ({ connected_account_id: request.params.id, ...(await policies.getAccountPolicy(request.params.id)) }),
  );
  api.put(
    '/api/v1/connected_accounts/:id/policy',
    {
      validatorCompiler: serviceValidates,
      schema: { tags, summary: "Set a connected account's policy; it may only narrow its connection's (POLICY_WIDENS)", params: IdParams, body: PolicyDocumentSchema, response: { 200: AccountPolicy, ...errorResponses } },
    },
    async (request) => ({ connected_account_id: request.params.id, ...(await policies.setAccountPolicy(request.params.id, request.body, request.actor)) }),
  );
  api.delete(
    '/api/v1/connected_accounts/:id/policy',
    { schema: { tags, summary: "Delete a connected account's policy", params: IdParams } },
    async (request, reply) => {
      await policies.deleteAccountPolicy(request.params.id, request.actor);
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/connected_accounts/:id/effective_policy',
    { schema: { tags, summary: 'The policies a call on this account is checked against', params: IdParams, response: { 200: EffectivePolicy, ...errorResponses } } },
    async (request) => policies.effectiveView(request.params.id),
  );
}
