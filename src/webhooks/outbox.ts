import type { AccountEventOutbox } from '../accounts/account-events.ts';
import type { Clock } from '../clock.ts';
import type { Repositories } from '../store/repositories.ts';
import type { Store } from '../store/store.ts';
import type { WebhookRepository } from '../store/webhooks-repository.ts';
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
 * The transactional outbox (DESIGN.md §9): an event becomes one `webhook_events` row and one
 * pending `webhook_deliveries` row per enabled endpoint that wants it. Account events are written
 * in the very transaction of the account change (`accounts`), so the change and its event commit
 * or roll back together; approval events are written once the approval has committed. From then
 * on the event survives restarts and crashes: any instance's DeliveryWorker sends it, off every
 * request's path.
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

  /**
   * For AccountsService, the OAuth flow, hosted links and the TokenRefresher (AccountEventOutbox):
   * the event and its deliveries are written in the transaction of the change they tell.
   */
  readonly accounts: AccountEventOutbox = {
    write: async (repos, event) => {
      await this.#enqueue(repos.webhooks, fromAccountEvent(event));
    },
    committed: () => this.#kick(),
  };

  /**
   * For the approvals code, transactional like the account events:
   * `await outbox.approvals.write(repos, event)` inside the approval's own transaction, then
   * `outbox.approvals.committed()` after it commits.
   */
  readonly approvals = {
    write: async (repos: Repositories, event: ApprovalEvent): Promise<void> => {
      await this.#enqueue(repos.webhooks, fromApprovalEvent(event));
    },
    committed: (): void => this.#kick(),
  };

  /**
   * For the approvals code, when it has no transaction to join: call after the approval's change
   * has committed, e.g. `void webhooks.outbox.publishApproval({ type: 'approval.requested', approval, actor, at })`.
   * Resolves once the event is stored; never throws (a failure is logged).
   */
  publishApproval(event: ApprovalEvent): Promise<void> {
    const work = this.publish(fromApprovalEvent(event));
    this.#track(work, event.type);
    return work.then(() => undefined, () => undefined);
  }

  /** Stores the event and its deliveries, then sends; returns the deliveries made (none when no endpoint wants it). */
  async publish(input: WebhookEventInput): Promise<WebhookDeliveryRow[]> {
    const deliveries = await this.#enqueue(this.#store.webhooks, input);
    if (deliveries.length > 0) this.#kick();
    return deliveries;
  }

  /** The event and one delivery per enabled endpoint that wants it, through `webhooks` (the store, or a transaction's). */
  async #enqueue(webhooks: WebhookRepository, input: WebhookEventInput): Promise<WebhookDeliveryRow[]> {
    const endpoints = (await webhooks.enabledEndpoints()).filter((endpoint) => wants(endpoint, input.type));
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
    await webhooks.enqueue({ id: eventId, type: input.type, payload: eventBody(input.type, input.at, input.data), created_at: now }, deliveries);
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
