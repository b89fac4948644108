import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';

/**
 * Keeps `last_used_at` without a write per proxied call: marks are collected in memory and
 * flushed in one batch every interval (and on close).
 */
export class UsageRecorder {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #pending = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(deps: { store: Store; clock: Clock; intervalMs?: number; onError: (error: unknown) => void }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#timer = setInterval(() => {
      this.flush().catch(deps.onError);
    }, deps.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  mark(accountId: string): void {
    this.#pending.set(accountId, this.#clock());
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
