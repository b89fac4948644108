import type { Selectable } from 'kysely';

/** A receiver of webhooks (src/webhooks). */
export interface WebhookEndpointTable {
  /** `whep_…` */
  id: string;
  url: string;
  description: string;
  /** JSON array of event types it wants; `[]` means every event. */
  events: string;
  /** 0/1 */
  enabled: number;
  /** Vault ciphertext of the signing secret (`whsec_…`), bound to `webhook_endpoints|<id>|secret`. */
  secret: string;
  created_at: number;
  updated_at: number;
}

/** One event, with the exact JSON body every delivery of it sends (never a secret). */
export interface WebhookEventTable {
  /** `evt_…`: the `webhook-id` header, the same for every attempt and replay (the idempotency id). */
  id: string;
  type: string;
  payload: string;
  created_at: number;
}

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** The outbox: one event for one endpoint, retried with backoff under a lease until it succeeds or fails for good. */
export interface WebhookDeliveryTable {
  /** `dlv_…` */
  id: string;
  event_id: string;
  endpoint_id: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_status_code: number | null;
  /** Our code for the last failure (never the receiver's body). */
  last_error: string | null;
  last_attempt_at: number | null;
  last_duration_ms: number | null;
  delivered_at: number | null;
  created_at: number;
}

export type WebhookEndpointRow = Selectable<WebhookEndpointTable>;
export type WebhookEventRow = Selectable<WebhookEventTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>;
