import type { Clock } from '../clock.ts';
import type { Forwarder } from '../proxy/forwarder.ts';
import type { Store } from '../store/store.ts';
import type { Vault } from '../vault/vault.ts';
import { type DeliveryLog, type DeliveryOptions, DeliveryWorker } from './delivery-worker.ts';
import { WebhookEndpoints } from './endpoints-service.ts';
import { WebhookOutbox } from './outbox.ts';

export interface Webhooks {
  endpoints: WebhookEndpoints;
  outbox: WebhookOutbox;
  worker: DeliveryWorker;
  /** Starts this instance's delivery worker (every instance runs one). */
  start(): void;
  /** Waits for events being stored, then stops the worker (unsent deliveries stay in the outbox). */
  close(): Promise<void>;
}

/** Webhooks, wired: endpoints (API), the outbox (events in), the delivery worker (signed POSTs out). */
export function createWebhooks(deps: {
  store: Store;
  vault: Vault;
  clock: Clock;
  forwarder: Forwarder;
  egressAllows: (address: string) => boolean;
  log: DeliveryLog;
  userAgent: string;
  options?: Partial<DeliveryOptions>;
}): Webhooks {
  const { store, vault, clock, log } = deps;
  const worker = new DeliveryWorker({ store, vault, clock, send: (request) => deps.forwarder.send(request), log, userAgent: deps.userAgent, options: deps.options });
  const outbox = new WebhookOutbox({ store, clock, log, kick: () => worker.kick() });
  const endpoints = new WebhookEndpoints({ store, vault, clock, egressAllows: deps.egressAllows, onReplay: () => worker.kick() });
  return {
    endpoints,
    outbox,
    worker,
    start: () => worker.start(),
    async close() {
      await outbox.settle();
      await worker.close();
    },
  };
}
