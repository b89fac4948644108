import type { AccountEvent } from '../accounts/account-events.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../store/webhooks-schema.ts';
import { type ApprovalEvent, fromAccountEvent, fromApprovalEvent, type WebhookEventInput } from './events.ts';
import { timeOrderedId } from './ids.ts';

export interface OutboxLog {
  error(details: object, message: string): void;
}

/** The JSON body every delivery of an event sends (Standard Webhooks payload shape). */
export function eventBody(type: string, at: number, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: new Date(at).toISOString(), data });
}

function wants(endpoint: WebhookEndpointRow, type: string): boolean {
  const events = JSON.parse(endpoint.events) as string[];
  return events.length === 0 || events.includes(type);
}

/**
 * The durable outbox: an event, once its change has committed, becomes one `webhook_events` row
 * and one pending `webhook_deliveries` row per enabled endpoint that wants it, in one
 * transaction. From then on it survives restarts and crashes: any instance's DeliveryWorker sends
 * it. Nothing here runs on a request's path: listeners hand the work off and return at once.
 */
export class WebhookOutbox {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: OutboxLog;
  readonly #kick: () => void;
  readonly #running = new Set<Promise<unknown>>();

  constructor(deps: { store: Store; clock: Clock; log: OutboxLog; kick: () => void }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#kick = deps.kick;
  }

  /** For AccountsService / TokenRefresher `onEvent`: queues and returns at once. */
  readonly onAccountEvent = (event: AccountEvent): void => {
    this.#track(this.publish(fromAccountEvent(event)), event.type);
  };

  /**
   * For the approvals code (issue 14, another branch): call after the approval's change has
   * committed, e.g. `void webhooks.outbox.publishApproval({ type: 'approval.requested', approval, actor, at })`.
   * Resolves once the event is stored; never throws (a failure is logged).
   */
  publishApproval(event: ApprovalEvent): Promise<void> {
    const work = this.publish(fromApprovalEvent(event));
    this.#track(work, event.type);
    return work.then(() => undefined, () => undefined);
  }

  /** Stores the event and its deliveries; returns the deliveries made (none when no endpoint wants it). */
  async publish(input: WebhookEventInput): Promise<WebhookDeliveryRow[]> {
    const endpoints = (await this.#store.webhooks.enabledEndpoints()).filter((endpoint) => wants(endpoint, input.type));
    if (endpoints.length === 0) return [];
    const now = this.#clock();
    const eventId = timeOrderedId('evt', now);
    const deliveries: WebhookDeliveryRow[] = endpoints.map((endpoint) => ({
      id: timeOrderedId('dlv', now),
      event_id: eventId,
      endpoint_id: endpoint.id,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      lease_owner: null,
      lease_until: null,
      last_status_code: null,
      last_error: null,
      last_attempt_at: null,
      last_duration_ms: null,
      delivered_at: null,
      created_at: now,
    }));
    await this.#store.webhooks.enqueue({ id: eventId, type: input.type, payload: eventBody(input.type, input.at, input.data), created_at: now }, deliveries);
    this.#kick();
    return deliveries;
  }

  /** Waits for events being stored (shutdown, tests). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }

  #track(work: Promise<unknown>, type: string): void {
    const tracked = work.catch((error: unknown) => this.#log.error({ err: error, event_type: type }, 'webhook event could not be stored'));
    this.#running.add(tracked);
    void tracked.finally(() => this.#running.delete(tracked));
  }
}
