import type { Clock } from '../clock.ts';
import { ToolproxyError } from '../errors.ts';
import type { Page, PageRequest } from '../store/pagination.ts';
import type { Store } from '../store/store.ts';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../store/webhooks-schema.ts';
import { Secret } from '../vault/secret.ts';
import type { SecretBinding, Vault } from '../vault/vault.ts';
import { assertEgress, parseEndpointInput } from './endpoint-input.ts';
import type { WebhookEventType } from './events.ts';
import { endpointId } from './ids.ts';
import { newWebhookSecret } from './signature.ts';

export function endpointSecretBinding(id: string): SecretBinding {
  return { table: 'webhook_endpoints', rowId: id, column: 'secret' };
}

/** An endpoint as the API shows it: never its secret. */
export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string;
  /** Event types it receives; empty means every event. */
  events: WebhookEventType[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  status: WebhookDeliveryRow['status'];
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  last_duration_ms: number | null;
  delivered_at: string | null;
  created_at: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toEndpointView(row: WebhookEndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as WebhookEventType[],
    enabled: row.enabled === 1,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/**
 * Webhook endpoints through the API: the URL obeys the egress policy; the signing secret is made
 * here, returned once (on create and on rotate), and stored only as vault ciphertext bound to its
 * row. Deliveries are listed and replayed per endpoint.
 */
export class WebhookEndpoints {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #egressAllows: (address: string) => boolean;
  readonly #onReplay: (deliveryId: string) => void;

  constructor(deps: { store: Store; vault: Vault; clock: Clock; egressAllows: (address: string) => boolean; onReplay?: (deliveryId: string) => void }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#egressAllows = deps.egressAllows;
    this.#onReplay = deps.onReplay ?? (() => undefined);
  }

  async create(body: unknown): Promise<{ endpoint: WebhookEndpointView; secret: Secret }> {
    const input = parseEndpointInput(body, 'create');
    assertEgress(input.url!, this.#egressAllows);
    const id = endpointId();
    const secret = newWebhookSecret();
    const now = this.#clock();
    const row: WebhookEndpointRow = {
      id,
      url: input.url!,
      description: input.description ?? '',
      events: JSON.stringify(input.events ?? []),
      enabled: input.enabled === false ? 0 : 1,
      secret: this.#vault.encrypt(secret, endpointSecretBinding(id)),
      created_at: now,
      updated_at: now,
    };
    await this.#store.webhooks.insertEndpoint(row);
    return { endpoint: toEndpointView(row), secret: new Secret(secret) };
  }

  async list(page: PageRequest): Promise<Page<WebhookEndpointView>> {
    const result = await this.#store.webhooks.listEndpoints(page);
    return { items: result.items.map(toEndpointView), nextPageToken: result.nextPageToken };
  }

  async get(id: string): Promise<WebhookEndpointView> {
    return toEndpointView(await this.#load(id));
  }

  async update(id: string, body: unknown): Promise<WebhookEndpointView> {
    const input = parseEndpointInput(body, 'update');
    if (input.url !== undefined) assertEgress(input.url, this.#egressAllows);
    await this.#load(id);
    const updated = await this.#store.webhooks.updateEndpoint(id, {
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.events !== undefined ? { events: JSON.stringify(input.events) } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
      updated_at: this.#clock(),
    });
    if (!updated) throw new ToolproxyError('WEBHOOK_NOT_FOUND', { details: { id } });
    return toEndpointView(updated);
  }

  /** A new secret, returned once; deliveries from now on are signed with it (the old one stops at once). */
  async rotateSecret(id: string): Promise<{ endpoint: WebhookEndpointView; secret: Secret }> {
    await this.#load(id);
    const secret = newWebhookSecret();
    const updated = await this.#store.webhooks.updateEndpoint(id, { secret: this.#vault.encrypt(secret, endpointSecretBinding(id)), updated_at: this.#clock() });
    if (!updated) throw new ToolproxyError('WEBHOOK_NOT_FOUND', { details: { id } });
    return { endpoint: toEndpointView(updated), secret: new Secret(secret) };
  }

  async delete(id: string): Promise<void> {
    if (!(await this.#store.webhooks.deleteEndpoint(id))) throw new ToolproxyError('WEBHOOK_NOT_FOUND', { details: { id } });
  }

  async deliveries(id: string, page: PageRequest): Promise<Page<WebhookDeliveryView>> {
    await this.#load(id);
    const result = await this.#store.webhooks.listDeliveries(id, page);
    return { items: await this.#views(result.items), nextPageToken: result.nextPageToken };
  }

  async delivery(id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    const row = await this.#store.webhooks.findDelivery(id, deliveryId);
    if (!row) throw new ToolproxyError('WEBHOOK_DELIVERY_NOT_FOUND', { details: { id, delivery_id: deliveryId } });
    return (await this.#views([row]))[0]!;
  }

  /** Sends a delivery again (same event, same `webhook-id`), now and with a fresh set of retries. */
  async replay(id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    await this.#load(id);
    const row = await this.#store.webhooks.replay(id, deliveryId, this.#clock());
    if (!row) throw new ToolproxyError('WEBHOOK_DELIVERY_NOT_FOUND', { details: { id, delivery_id: deliveryId } });
    this.#onReplay(row.id);
    return (await this.#views([row]))[0]!;
  }

  async #load(id: string): Promise<WebhookEndpointRow> {
    const row = await this.#store.webhooks.findEndpoint(id);
    if (!row) throw new ToolproxyError('WEBHOOK_NOT_FOUND', { details: { id } });
    return row;
  }

  async #views(rows: WebhookDeliveryRow[]): Promise<WebhookDeliveryView[]> {
    const events = new Map((await this.#store.webhooks.findEvents([...new Set(rows.map((r) => r.event_id))])).map((e) => [e.id, e.type]));
    return rows.map((row) => ({
      id: row.id,
      event_id: row.event_id,
      event_type: events.get(row.event_id) ?? 'unknown',
      endpoint_id: row.endpoint_id,
      status: row.status,
      attempts: row.attempts,
      next_attempt_at: row.status === 'pending' ? iso(row.next_attempt_at) : null,
      last_status_code: row.last_status_code,
      last_error: row.last_error,
      last_attempt_at: iso(row.last_attempt_at),
      last_duration_ms: row.last_duration_ms,
      delivered_at: iso(row.delivered_at),
      created_at: new Date(row.created_at).toISOString(),
    }));
  }
}
