import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { ApprovalRow } from '../store/schema.ts';
import { effectiveStatus } from './approval-view.ts';

/** How a waiting caller re-reads its approval when no change notification came (a lost NOTIFY). */
export const POLL_MS = 2000;

export interface DecisionWaitersDeps {
  changes: ChangeFeed;
  clock: Clock;
  read(id: string): Promise<ApprovalRow | undefined>;
  log?: { error(object: object, message: string): void } | undefined;
}

/**
 * The callers holding their request open for a decision (`x-toolproxy-approval-wait`), by
 * approval id. A decision here or on another instance (the change feed, Postgres LISTEN/NOTIFY
 * between instances) wakes the waiters of that approval, which re-read its row; a reset of the
 * change relay (announced as a config change) wakes them all, and each re-reads every POLL_MS
 * anyway, so a lost notification costs at most that.
 */
export class DecisionWaiters {
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #clock: Clock;
  readonly #read: DecisionWaitersDeps['read'];
  readonly #log: DecisionWaitersDeps['log'];

  constructor(deps: DecisionWaitersDeps) {
    this.#clock = deps.clock;
    this.#read = deps.read;
    this.#log = deps.log;
    deps.changes.onApprovalDecided((id) => this.#wake(id));
    deps.changes.onConfigChanged(() => {
      for (const id of this.#waiters.keys()) this.#wake(id);
    });
  }

  /** The row once it is no longer pending, or undefined when `ms` passed or `signal` aborted first. */
  wait(id: string, ms: number, signal: AbortSignal): Promise<ApprovalRow | undefined> {
    return new Promise((resolve) => {
      let done = false;
      let reading = false;
      let again = false;
      let waiters = this.#waiters.get(id);
      if (waiters === undefined) this.#waiters.set(id, (waiters = new Set()));
      const finish = (row: ApprovalRow | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        waiters.delete(wake);
        if (waiters.size === 0) this.#waiters.delete(id);
        signal.removeEventListener('abort', onAbort);
        resolve(row);
      };
      const check = async () => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          do {
            again = false;
            const row = await this.#read(id);
            if (row === undefined || effectiveStatus(row, this.#clock()) !== 'PENDING') return finish(row);
          } while (again && !done);
        } catch (error) {
          // The next wake or poll reads again.
          this.#log?.error({ err: error, approval_id: id }, 'reading an approval for its waiting caller failed');
        } finally {
          reading = false;
        }
      };
      const wake = () => void check();
      const onAbort = () => finish(undefined);
      const timer = setTimeout(() => finish(undefined), ms);
      const poll = setInterval(wake, POLL_MS);
      waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) return finish(undefined);
      wake();
    });
  }

  #wake(id: string): void {
    const waiters = this.#waiters.get(id);
    if (waiters !== undefined) for (const wake of [...waiters]) wake();
  }
}
