import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';

/**
 * Keeps `last_used_at` without a write per proxied call: marks are collected in memory and
 * flushed in one batch every interval (and on close). An account already recorded within the
 * last `granularityMs` is not written again, so a busy server with many accounts writes each at
 * most once a minute instead of once per flush.
 */
export class UsageRecorder {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #pending = new Map<string, number>();
  /** When each account's `last_used_at` was last queued for writing. */
  readonly #recorded = new Map<string, number>();
  readonly #granularityMs: number;
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(deps: { store: Store; clock: Clock; intervalMs?: number; granularityMs?: number; onError: (error: unknown) => void }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#granularityMs = deps.granularityMs ?? 60_000;
    this.#timer = setInterval(() => {
      this.flush().catch(deps.onError);
    }, deps.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  mark(accountId: string): void {
    const now = this.#clock();
    const recorded = this.#recorded.get(accountId);
    if (recorded !== undefined && now - recorded < this.#granularityMs) return;
    this.#recorded.set(accountId, now);
    this.#pending.set(accountId, now);
  }


  flush(): Promise<void> {
    // Only accounts recorded within the last granularity period are remembered.
    const now = this.#clock();
    for (const [id, at] of this.#recorded) if (now - at >= this.#granularityMs) this.#recorded.delete(id);
    if (this.#pending.size === 0) return this.#flushing;
    const entries = [...this.#pending].map(([id, at]) => ({ id, at }));
    this.#pending.clear();
    this.#flushing = this.#flushing.then(() => this.#store.accounts.touchLastUsed(entries));
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
