import { type CallOptions, segment, type Transport } from './transport.ts';

export type WebhookEventType = 'account.created' | 'account.status_changed' | 'account.disconnected' | 'account.deleted' | 'approval.requested' | 'approval.decided';

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  /** Event types it receives; empty: every event. */
  events: WebhookEventType[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookDelivery {
  id: string;
  /** The `webhook-id` header: the same on every attempt and replay. */
  eventId: string;
  eventType: string;
  endpointId: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  lastDurationMs: number | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

export interface WebhookEndpointInput {
  url?: string;
  events?: WebhookEventType[];
  enabled?: boolean;
  description?: string;
}

type Wire = Record<string, any>;
const date = (value: string | null) => (value === null ? null : new Date(value));

function toEndpoint(wire: Wire): WebhookEndpoint {
  return { id: wire.id, url: wire.url, description: wire.description, events: wire.events, enabled: wire.enabled, createdAt: new Date(wire.created_at), updatedAt: new Date(wire.updated_at) };
}

function toDelivery(wire: Wire): WebhookDelivery {
  return {
    id: wire.id,
    eventId: wire.event_id,
    eventType: wire.event_type,
    endpointId: wire.endpoint_id,
    status: wire.status,
    attempts: wire.attempts,
    nextAttemptAt: date(wire.next_attempt_at),
    lastStatusCode: wire.last_status_code,
    lastError: wire.last_error,
    lastAttemptAt: date(wire.last_attempt_at),
    lastDurationMs: wire.last_duration_ms,
    deliveredAt: date(wire.delivered_at),
    createdAt: new Date(wire.created_at),
  };
}

function toWire(input: WebhookEndpointInput): Wire {
  const wire: Wire = {};
  for (const key of ['url', 'events', 'enabled', 'description'] as const) if (input[key] !== undefined) wire[key] = input[key];
  return wire;
}

/**
 * Webhook endpoints and their deliveries (docs/webhooks.md). Verify what arrives with
 * `verifyWebhook(secret, headers, body)`.
 */
export class Webhooks {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Registers an endpoint. `secret` is returned this once only: store it for your receiver.
   *
   * @example
   * const { endpoint, secret } = await client.webhooks.create({ url: 'https://app.example.com/hooks/toolproxy', events: ['account.status_changed'] });
   */
  async create(input: WebhookEndpointInput & { url: string } & CallOptions): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const body = await this.#transport.json<{ webhook: Wire; secret: string }>('POST', '/api/v1/webhooks', { ...input, body: toWire(input) });
    return { endpoint: toEndpoint(body.webhook), secret: body.secret };
  }

  async list(options: { pageSize?: number; pageToken?: string } & CallOptions = {}): Promise<{ endpoints: WebhookEndpoint[]; nextPageToken: string | null }> {
    const body = await this.#transport.json<{ webhooks: Wire[]; next_page_token: string | null }>('GET', '/api/v1/webhooks', { ...options, query: { page_size: options.pageSize, page_token: options.pageToken } });
    return { endpoints: body.webhooks.map(toEndpoint), nextPageToken: body.next_page_token };
  }

  async get(id: string, options: CallOptions = {}): Promise<WebhookEndpoint> {
    return toEndpoint((await this.#transport.json<{ webhook: Wire }>('GET', `/api/v1/webhooks/${segment(id)}`, options)).webhook);
  }

  async update(id: string, input: WebhookEndpointInput & CallOptions): Promise<WebhookEndpoint> {
    return toEndpoint((await this.#transport.json<{ webhook: Wire }>('PATCH', `/api/v1/webhooks/${segment(id)}`, { ...input, body: toWire(input) })).webhook);
  }

  async delete(id: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.json('DELETE', `/api/v1/webhooks/${segment(id)}`, options);
  }

  /** A new signing secret, returned this once; the old one stops signing at once. */
  async rotateSecret(id: string, options: CallOptions = {}): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const body = await this.#transport.json<{ webhook: Wire; secret: string }>('POST', `/api/v1/webhooks/${segment(id)}/rotate_secret`, options);
    return { endpoint: toEndpoint(body.webhook), secret: body.secret };
  }

  /** Newest first. */
  async listDeliveries(id: string, options: { pageSize?: number; pageToken?: string } & CallOptions = {}): Promise<{ deliveries: WebhookDelivery[]; nextPageToken: string | null }> {
    const body = await this.#transport.json<{ deliveries: Wire[]; next_page_token: string | null }>('GET', `/api/v1/webhooks/${segment(id)}/deliveries`, {
      ...options,
      query: { page_size: options.pageSize, page_token: options.pageToken },
    });
    return { deliveries: body.deliveries.map(toDelivery), nextPageToken: body.next_page_token };
  }

  /** Sends a delivery again now (same event, same `webhook-id`). */
  async replay(id: string, deliveryId: string, options: CallOptions = {}): Promise<WebhookDelivery> {
    return toDelivery((await this.#transport.json<{ delivery: Wire }>('POST', `/api/v1/webhooks/${segment(id)}/deliveries/${segment(deliveryId)}/replay`, options)).delivery);
  }
}
