import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH } from '../../webhooks/endpoint-input.ts';
import type { WebhookEndpoints } from '../../webhooks/endpoints-service.ts';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events.ts';
import { errorResponses, PageQuery, Timestamp } from '../schemas.ts';

const EventType = Type.Union(WEBHOOK_EVENT_TYPES.map((type) => Type.Literal(type)));
const Endpoint = Type.Object({
  id: Type.String({ examples: ['whep_…'] }),
  url: Type.String(),
  description: Type.String(),
  events: Type.Array(EventType, { description: 'Event types it receives; empty: every event.' }),
  enabled: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const Delivery = Type.Object({
  id: Type.String({ examples: ['dlv_…'] }),
  event_id: Type.String({ description: 'The webhook-id header: the same on every attempt and replay (deduplicate on it).' }),
  event_type: Type.String(),
  endpoint_id: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  next_attempt_at: NullableTimestamp,
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  last_attempt_at: NullableTimestamp,
  last_duration_ms: Type.Union([Type.Integer(), Type.Null()]),
  delivered_at: NullableTimestamp,
  created_at: Timestamp,
});
const body = (required: boolean) =>
  Type.Object(
    {
      url: required ? Type.String({ maxLength: MAX_URL_LENGTH, description: 'http(s) URL of your receiver; refused when the egress policy forbids its address.' }) : Type.Optional(Type.String({ maxLength: MAX_URL_LENGTH })),
      events: Type.Optional(Type.Array(EventType, { description: 'Event types to receive; empty or absent: every event.' })),
      enabled: Type.Optional(Type.Boolean({ default: true })),
      description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION_LENGTH })),
    },
    { additionalProperties: false },
  );
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const DeliveryParams = Type.Object({ id: Type.String({ maxLength: 100 }), delivery_id: Type.String({ maxLength: 100 }) });
const WithSecret = Type.Object({
  webhook: Endpoint,
  secret: Type.String({ description: 'The signing secret (whsec_…), in this response only: store it where your receiver can read it.' }),
});

/**
 * Webhook endpoints (docs/webhooks.md). The signing secret is in the create and rotate responses
 * only; it is stored encrypted and no other response or log line carries it.
 */
export function webhookRoutes(app: FastifyInstance, endpoints: WebhookEndpoints): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['webhooks'];
  // The service validates bodies and lists every problem at once (WEBHOOK_INVALID); the schemas document them.
  const serviceValidates = () => () => true;

  api.post(
    '/api/v1/webhooks',
    { validatorCompiler: serviceValidates, schema: { tags, summary: 'Register a webhook endpoint; its signing secret is in this response only', body: body(true), response: { 201: WithSecret, ...errorResponses } } },
    async (request, reply) => {
      const { endpoint, secret } = await endpoints.create(request.body);
      request.log.info({ webhook: endpoint.id, by: request.clientId }, 'webhook endpoint created');
      return reply.code(201).header('cache-control', 'no-store').send({ webhook: endpoint, secret: secret.reveal() });
    },
  );

  api.get(
    '/api/v1/webhooks',
    { schema: { tags, summary: 'List webhook endpoints (never their secrets)', querystring: Type.Object(PageQuery), response: { 200: Type.Object({ webhooks: Type.Array(Endpoint), next_page_token: Type.Union([Type.String(), Type.Null()]) }) } } },
    async (request) => {
      const page = await endpoints.list({ pageSize: request.query.page_size ?? 50, pageToken: request.query.page_token ?? null });
      return { webhooks: page.items, next_page_token: page.nextPageToken };
    },
  );

  api.get(
    '/api/v1/webhooks/:id',
    { schema: { tags, summary: 'Get a webhook endpoint', params: IdParams, response: { 200: Type.Object({ webhook: Endpoint }), ...errorResponses } } },
    async (request) => ({ webhook: await endpoints.get(request.params.id) }),
  );

  api.patch(
    '/api/v1/webhooks/:id',
    { validatorCompiler: serviceValidates, schema: { tags, summary: 'Update a webhook endpoint (the fields sent)', params: IdParams, body: body(false), response: { 200: Type.Object({ webhook: Endpoint }), ...errorResponses } } },
    async (request) => ({ webhook: await endpoints.update(request.params.id, request.body) }),
  );

  api.delete(
    '/api/v1/webhooks/:id',
    { schema: { tags, summary: 'Delete a webhook endpoint and its deliveries', params: IdParams } },
    async (request, reply) => {
      await endpoints.delete(request.params.id);
      request.log.info({ webhook: request.params.id, by: request.clientId }, 'webhook endpoint deleted');
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/v1/webhooks/:id/rotate_secret',
    { schema: { tags, summary: 'Replace the signing secret; the new one is in this response only', params: IdParams, response: { 200: WithSecret, ...errorResponses } } },
    async (request, reply) => {
      const { endpoint, secret } = await endpoints.rotateSecret(request.params.id);
      request.log.info({ webhook: endpoint.id, by: request.clientId }, 'webhook secret rotated');
      return reply.header('cache-control', 'no-store').send({ webhook: endpoint, secret: secret.reveal() });
    },
  );

  api.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'Deliveries to this endpoint, newest first: status, attempts, last response code and timing',
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: { 200: Type.Object({ deliveries: Type.Array(Delivery), next_page_token: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async (request) => {
      const page = await endpoints.deliveries(request.params.id, { pageSize: request.query.page_size ?? 50, pageToken: request.query.page_token ?? null });
      return { deliveries: page.items, next_page_token: page.nextPageToken };
    },
  );

  api.get(
    '/api/v1/webhooks/:id/deliveries/:delivery_id',
    { schema: { tags, summary: 'One delivery', params: DeliveryParams, response: { 200: Type.Object({ delivery: Delivery }), ...errorResponses } } },
    async (request) => ({ delivery: await endpoints.delivery(request.params.id, request.params.delivery_id) }),
  );

  api.post(
    '/api/v1/webhooks/:id/deliveries/:delivery_id/replay',
    { schema: { tags, summary: 'Send a delivery again now (same event and webhook-id), with a fresh set of retries', params: DeliveryParams, response: { 202: Type.Object({ delivery: Delivery }), ...errorResponses } } },
    async (request, reply) => reply.code(202).send({ delivery: await endpoints.replay(request.params.id, request.params.delivery_id) }),
  );
}
