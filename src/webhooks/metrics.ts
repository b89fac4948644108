import type { Metric, Registry } from 'prom-client';

const NAME = 'toolproxy_webhook_delivery_attempts_total';
const HELP = 'Webhook delivery attempts made by this instance, by outcome: delivered (2xx), retry (will be tried again), failed (gave up; replayable).';

export type AttemptOutcome = 'delivered' | 'retry' | 'failed';

/** Counts of this instance's delivery attempts, read when /metrics is scraped. */
export class DeliveryCounts {
  readonly #counts: Record<AttemptOutcome, number> = { delivered: 0, retry: 0, failed: 0 };

  add(outcome: AttemptOutcome): void {
    this.#counts[outcome]++;
  }

  get(outcome: AttemptOutcome): number {
    return this.#counts[outcome];
  }

  /** `toolproxy_webhook_delivery_attempts_total{outcome}` in `registry` (prom-client's `get()` contract). */
  register(registry: Registry): void {
    const get = () => ({
      name: NAME,
      help: HELP,
      type: 'counter',
      aggregator: 'sum',
      values: (Object.keys(this.#counts) as AttemptOutcome[]).map((outcome) => ({ value: this.#counts[outcome], labels: { outcome } })),
    });
    registry.registerMetric({ name: NAME, help: HELP, type: 'counter', aggregator: 'sum', get } as unknown as Metric);
  }
}
