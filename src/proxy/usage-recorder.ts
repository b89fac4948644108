import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';

/** What the recorder needs of a cached account (src/proxy/account-resolver.ts). */
export interface UsageMarkable {
  readonly accountId: string;
  /** The recorder's bookkeeping, kept on the account's cache entry: see `mark`. */
  usagePeriod: number;
}

/**
 * Keeps `last_used_at` without a write per proxied call: marks are collected in memory and
 * flushed in one batch every interval (and on close). An account already queued within the last
 * `granularityMs` (5 minutes by default) is not queued again, so a busy server with 100,000
 * accounts writes each at most once per period instead of once per flush.
 *
 * When an account was last queued lives on its cache entry, as whole seconds since the recorder
 * started (a small integer: no allocation, no extra lookup per call). A reloaded entry starts
 * again at 0, which costs at most one extra write.
 */
export class UsageRecorder {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #pending = new Map<string, number>();
  readonly #granularitySeconds: number;
  readonly #startedAt: number;
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(deps: { store: Store; clock: Clock; intervalMs?: number; granularityMs?: number; onError: (error: unknown) => void }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#granularitySeconds = Math.max(1, Math.round((deps.granularityMs ?? 300_000) / 1000));
    this.#startedAt = this.#clock();
    this.#timer = setInterval(() => {
      this.flush().catch(deps.onError);
    }, deps.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  mark(account: UsageMarkable): void {
    const now = this.#clock();
    // 1 + whole seconds since start: 0 stays "never queued".
    const second = 1 + Math.floor((now - this.#startedAt) / 1000);
    if (account.usagePeriod !== 0 && second - account.usagePeriod < this.#granularitySeconds) return;
    account.usagePeriod = second;
    this.#pending.set(account.accountId, now);
  }

  flush(): Promise<void> {
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
