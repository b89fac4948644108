import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock.ts';
import { isToolproxyError } from '../errors.ts';
import type { Forwarder } from '../proxy/forwarder.ts';
import type { DeliveryOutcome } from '../store/webhooks-repository.ts';
import type { WebhookDeliveryRow } from '../store/webhooks-schema.ts';
import type { Store } from '../store/store.ts';
import type { Vault } from '../vault/vault.ts';
import { endpointSecretBinding } from './endpoints-service.ts';
import { DeliveryCounts } from './metrics.ts';
import { signWebhook } from './signature.ts';

export interface DeliveryLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface DeliveryOptions {
  /** First retry after this long; each later one waits twice as long, up to maxDelayMs (±20 % jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts in all, the first included; then the delivery is marked failed (replayable). */
  maxAttempts: number;
  /** How often each instance looks for due deliveries (new events on this instance are sent at once). */
  pollIntervalMs: number;
  /** One attempt's whole budget: connect, headers and body. */
  timeoutMs: number;
  /** Longer than timeoutMs: a lease outlives the attempt it covers; a dead instance's lapses after it. */
  leaseMs: number;
  /** Deliveries one poll takes (and sends concurrently). */
  batchSize: number;
  /** Jitter source in [0, 1); injectable so tests know the delay. */
  random: () => number;
  /** Finished deliveries (and their events) are kept this long, then removed (checked hourly). */
  retentionMs: number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  baseDelayMs: 5_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 10, // 5 s, 10 s, … 1 h apart (with jitter): about 1.5 hours in all
  pollIntervalMs: 2_000,
  timeoutMs: 10_000,
  leaseMs: 60_000,
  batchSize: 20,
  random: Math.random,
  retentionMs: 30 * 24 * 3_600_000,
};

const PRUNE_EVERY_MS = 3_600_000;

/** Bytes of a receiver's answer read (and dropped) before the connection is reused. */
const MAX_RESPONSE_BYTES = 64 * 1024;

type Send = Forwarder['send'];

/**
 * Works the outbox on every instance: claims due deliveries under a lease (the repository's
 * conditional UPDATE; SKIP LOCKED on Postgres), POSTs each signed body through the server's own
 * guarded undici dispatcher (egress policy after DNS, no redirects), and records the outcome: a
 * 2xx delivers; anything else is retried with exponential backoff and jitter, then marked failed.
 * At least once: a crash after the POST and before the record sends it again, with the same
 * `webhook-id`, when the lease lapses.
 */
export class DeliveryWorker {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #send: Send;
  readonly #log: DeliveryLog;
  readonly #options: DeliveryOptions;
  readonly #userAgent: string;
  readonly #owner = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  readonly #running = new Set<Promise<unknown>>();
  /** This instance's attempts by outcome (`/metrics`). */
  readonly counts = new DeliveryCounts();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** A run in progress, and whether another was asked for meanwhile (kicks coalesce). */
  #active: Promise<number> | undefined;
  #again = false;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(deps: { store: Store; vault: Vault; clock: Clock; send: Send; log: DeliveryLog; userAgent: string; options?: Partial<DeliveryOptions> }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#send = deps.send;
    this.#log = deps.log;
    this.#userAgent = deps.userAgent;
    this.#options = { ...DEFAULT_DELIVERY_OPTIONS, ...deps.options };
  }

  /** Asks for a run now (after an event is stored or a delivery replayed); never throws. */
  kick(): void {
    if (this.#closed) return;
    if (this.#active) {
      this.#again = true;
      return;
    }
    this.#track(this.runDue());
  }

  /** Sends every due delivery once, batch by batch; resolves with how many were attempted. */
  async runDue(): Promise<number> {
    if (this.#active) {
      this.#again = true;
      return this.#active;
    }
    this.#active = this.#drain().finally(() => (this.#active = undefined));
    return this.#active;
  }

  async #drain(): Promise<number> {
    let attempted = 0;
    do {
      this.#again = false;
      for (;;) {
        if (this.#closed) return attempted;
        const now = this.#clock();
        const claimed = await this.#store.webhooks.claimDue(this.#owner, now, now + this.#options.leaseMs, this.#options.batchSize);
        await Promise.all(claimed.map((row) => this.#attempt(row)));
        attempted += claimed.length;
        if (claimed.length < this.#options.batchSize) break;
      }
    } while (this.#again);
    await this.#pruneNowAndThen();
    return attempted;
  }

  /** Retention, at most hourly per instance (a delete of nothing is cheap when another instance did it). */
  async #pruneNowAndThen(): Promise<void> {
    const now = this.#clock();
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now;
    const removed = await this.#store.webhooks.prune(now - this.#options.retentionMs);
    if (removed > 0) this.#log.info({ removed }, 'old webhook deliveries removed');
  }

  /** Polls on a timer that never keeps the process alive. */
  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => this.kick(), this.#options.pollIntervalMs);
    this.#timer.unref();
    this.kick();
  }

  /** Stops polling and waits for attempts in flight (unfinished rows stay in the outbox). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.allSettled([...this.#running, this.#active]);
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => this.#log.error({ err: error }, 'webhook delivery worker failed'));
    this.#running.add(tracked);
    void tracked.finally(() => this.#running.delete(tracked));
  }

  async #attempt(row: WebhookDeliveryRow): Promise<void> {
    const started = this.#clock();
    const result = await this.#post(row).catch((error: unknown) => ({ statusCode: null, error: isToolproxyError(error) ? error.code : 'INTERNAL_ERROR', cause: error }));
    const finished = this.#clock();
    const attempts = row.attempts + 1;
    const delivered = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const gaveUp = !delivered && (result.error === 'ENDPOINT_DISABLED' || result.error === 'WEBHOOK_NOT_FOUND' || attempts >= this.#options.maxAttempts);
    const outcome: DeliveryOutcome = {
      status: delivered ? 'succeeded' : gaveUp ? 'failed' : 'pending',
      attempts,
      next_attempt_at: delivered || gaveUp ? finished : finished + this.#delay(attempts),
      last_status_code: result.statusCode,
      last_error: delivered ? null : (result.error ?? `HTTP_${result.statusCode}`),
      last_attempt_at: started,
      last_duration_ms: Math.max(0, finished - started),
      delivered_at: delivered ? finished : null,
    };
    const context = { delivery: row.id, endpoint: row.endpoint_id, event: row.event_id, attempts, status_code: result.statusCode, code: outcome.last_error };
    if (!(await this.#store.webhooks.recordAttempt(row.id, this.#owner, outcome))) {
      this.#log.warn(context, 'webhook delivery lease lost before its outcome was recorded; it may be sent again');
      return;
    }
    this.counts.add(delivered ? 'delivered' : gaveUp ? 'failed' : 'retry');
    if (delivered) {
      if (row.attempts > 0) this.#log.info(context, 'webhook delivered after retries');
    } else if (result.error === 'WEBHOOK_NOT_FOUND') this.#log.info(context, 'webhook endpoint deleted: its delivery is given up');
    else if (gaveUp) this.#log.error(context, 'webhook delivery failed for good; replay it once the receiver is fixed');
    else this.#log.warn({ ...context, next_attempt_at: new Date(outcome.next_attempt_at).toISOString() }, 'webhook delivery failed; will retry');
  }

  async #post(row: WebhookDeliveryRow): Promise<{ statusCode: number | null; error?: string }> {
    const endpoint = await this.#store.webhooks.findEndpoint(row.endpoint_id);
    if (!endpoint) return { statusCode: null, error: 'WEBHOOK_NOT_FOUND' };
    if (endpoint.enabled !== 1) return { statusCode: null, error: 'ENDPOINT_DISABLED' };
    const [event] = await this.#store.webhooks.findEvents([row.event_id]);
    if (!event) return { statusCode: null, error: 'EVENT_NOT_FOUND' };
    const secret = this.#vault.decrypt(endpoint.secret, endpointSecretBinding(endpoint.id));
    // Standard Webhooks: seconds since the epoch, signed with the id and the exact body bytes.
    const timestamp = Math.floor(this.#clock() / 1000);
    const url = new URL(endpoint.url);
    const signal = AbortSignal.timeout(this.#options.timeoutMs);
    try {
      const response = await this.#send({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': this.#userAgent,
          'webhook-id': event.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, event.id, timestamp, event.payload),
        },
        body: event.payload,
        signal,
      });
      await response.body.dump({ limit: MAX_RESPONSE_BYTES }).catch(() => undefined);
      return { statusCode: response.statusCode };
    } catch (error) {
      if (signal.aborted) return { statusCode: null, error: 'WEBHOOK_TIMEOUT' };
      throw error;
    }
  }

  #delay(attempts: number): number {
    const plain = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** (attempts - 1));
    return Math.round(plain * (0.8 + this.#options.random() * 0.4));
  }
}
