import type { Actor } from '../actor.ts';
import type { Clock } from '../clock.ts';
import { ToolproxyError } from '../errors.ts';
import { type AuditEvent, SYSTEM_ACTOR, type UnchainedEntry, unchained } from './audit-entry.ts';
import type { AuditRepository } from './audit-repository.ts';
import { type VerifyResult, verifyChain } from './audit-verify.ts';

/** The log lines the trail writes (pino's shape). */
export interface AuditLog {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface AuditTrailOptions {
  /** Entries waiting for a flush beyond which a proxied call is held (and then refused). */
  maxPending: number;
  /** Entries per transaction. */
  batchSize: number;
  flushIntervalMs: number;
  /** How long a proxied call waits for room before it is refused with AUDIT_UNAVAILABLE. */
  holdMs: number;
  /** TOOLPROXY_AUDIT_RETENTION_DAYS in ms; 0 keeps every entry. */
  retentionMs: number;
  pruneIntervalMs: number;
}

export const DEFAULT_AUDIT_OPTIONS: AuditTrailOptions = {
  maxPending: 20_000,
  batchSize: 1_000,
  flushIntervalMs: 100,
  holdMs: 2_000,
  retentionMs: 0,
  pruneIntervalMs: 3_600_000,
};

/** Rows removed per prune transaction. */
const PRUNE_BATCH = 5_000;

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The audit trail (docs/audit.md): an append-only, hash-chained record of every credential use
 * and every change. `record` only pushes to an array (the proxy's hot path does no SQL); a timer
 * appends the batch in one transaction under the chain head's lock. Unlike the request log it
 * never drops an entry: a failed batch stays queued and is retried, and when the queue is full
 * `admit()` holds a proxied call until there is room or refuses it with AUDIT_UNAVAILABLE (503)
 * before anything reaches the upstream API. Entries still queued when the process is killed
 * hard are lost (at most one flush interval's worth when the database keeps up); `close()`
 * writes them on a clean shutdown.
 */
export class AuditTrail {
  readonly #repository: AuditRepository;
  readonly #clock: Clock;
  readonly #log: AuditLog;
  readonly #options: AuditTrailOptions;
  readonly #timers: NodeJS.Timeout[] = [];
  #pending: UnchainedEntry[] = [];
  /** Entries of the batch being written (still only in memory until it commits). */
  #writing = 0;
  /** Entries recorded since start (written ones count in `stats.written`): what a flush waits for. */
  #recorded = 0;
  #flushing: Promise<void> | undefined;
  #eager = false;
  /** Held calls, oldest first (a Set: a timed-out one leaves in O(1)). */
  readonly #waiters = new Set<Waiter>();
  #failing = false;
  #holding = false;
  #closed = false;
  /** Counters for /metrics and tests. */
  readonly stats = { written: 0, refused: 0, held: 0, flushFailures: 0 };

  constructor(deps: { repository: AuditRepository; clock: Clock; log: AuditLog; options?: Partial<AuditTrailOptions> }) {
    this.#repository = deps.repository;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#options = { ...DEFAULT_AUDIT_OPTIONS, ...deps.options };
    const every = (ms: number, task: () => void) => {
      const timer = setInterval(task, ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(this.#options.flushIntervalMs, () => void this.flush().catch(() => undefined));
    if (this.#options.retentionMs > 0) {
      every(this.#options.pruneIntervalMs, () => void this.prune().catch((err: unknown) => this.#log.error({ err }, 'audit trail: retention prune failed')));
    }
  }

  /** The store the trail writes to (export and verify read it). */
  get repository(): AuditRepository {
    return this.#repository;
  }

  /** Entries recorded but not yet written. */
  get pending(): number {
    return this.#pending.length + this.#writing;
  }

  /**
   * Records one entry. Never drops and never throws: the entry is queued whatever the queue's
   * length (changes and background tasks are few; proxied calls are bounded by `admit`).
   * The actor, when not given, is the one of the request being served, else `system`.
   */
  record(event: AuditEvent): void {
    const actor: Actor = event.actor ?? SYSTEM_ACTOR;
    this.recordEntry(unchained(event, actor, this.#clock()));
  }

  /** `record` for an entry already in its stored shape (the pipeline's step builds its own). */
  recordEntry(entry: UnchainedEntry): void {
    this.#pending.push(entry);
    this.#recorded++;
    if (this.#pending.length >= this.#options.batchSize && !this.#eager) {
      this.#eager = true;
      setImmediate(() => {
        this.#eager = false;
        this.flush().catch(() => undefined);
      });
    }
  }

  /**
   * Back-pressure for proxied calls, before anything is sent: nothing (no promise) while the
   * queue has room; otherwise a promise that resolves once a flush made room, or rejects with
   * AUDIT_UNAVAILABLE after `holdMs`. The queue may exceed maxPending by the calls in flight.
   */
  admit(): Promise<void> | undefined {
    if (this.#pending.length + this.#writing < this.#options.maxPending && this.#waiters.size === 0) return undefined;
    if (this.#closed) return Promise.reject(new ToolproxyError('AUDIT_UNAVAILABLE'));
    this.stats.held++;
    if (!this.#holding) {
      this.#holding = true;
      this.#log.warn({ pending: this.pending, max: this.#options.maxPending, hold_ms: this.#options.holdMs }, 'audit trail: queue full, holding proxied calls until entries are written (AUDIT_UNAVAILABLE after the hold)');
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          this.stats.refused++;
          reject(new ToolproxyError('AUDIT_UNAVAILABLE'));
        }, this.#options.holdMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Writes everything recorded before the call, batch after batch, and resolves then (what is
   * recorded meanwhile does not keep it waiting under sustained load). A batch that fails stays
   * queued, in order, and is retried by the next flush; this one rejects.
   */
  async flush(): Promise<void> {
    const target = this.#recorded;
    while (this.stats.written < target) {
      await (this.#flushing ??= this.#drain(this.#pending.length).finally(() => (this.#flushing = undefined)));
    }
  }

  async #drain(count: number): Promise<void> {
    let left = count;
    while (left > 0 && this.#pending.length > 0) {
      const size = Math.min(left, this.#options.batchSize);
      const batch = this.#pending.length <= size ? this.#pending : this.#pending.slice(0, size);
      left -= batch.length;
      this.#pending = batch === this.#pending ? [] : this.#pending.slice(batch.length);
      this.#writing = batch.length;
      try {
        await this.#repository.append(batch);
      } catch (error) {
        this.#pending = batch.concat(this.#pending);
        this.#writing = 0;
        this.stats.flushFailures++;
        if (!this.#failing) {
          this.#failing = true;
          this.#log.error({ err: error, pending: this.#pending.length }, 'audit trail: entries could not be written; they stay queued and are retried');
        }
        throw error;
      }
      this.#writing = 0;
      this.stats.written += batch.length;
      if (this.#failing) {
        this.#failing = false;
        this.#log.warn({ pending: this.#pending.length }, 'audit trail: writing again');
      }
      this.#wake();
    }
  }

  #wake(): void {
    for (const waiter of this.#waiters) {
      if (this.pending >= this.#options.maxPending) break;
      this.#waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
    if (this.#waiters.size === 0 && this.#holding && this.pending < this.#options.maxPending) {
      this.#holding = false;
      this.#log.warn({ pending: this.#pending.length, refused: this.stats.refused }, 'audit trail: queue has room again');
    }
  }

  /** Walks the chain (flushing first, so what this instance recorded is included). */
  async verify(): Promise<VerifyResult> {
    await this.flush().catch(() => undefined);
    return verifyChain(this.#repository);
  }

  /** Retention: removes the oldest entries (a whole prefix) older than the retention, keeping a checkpoint. */
  async prune(): Promise<number> {
    if (this.#options.retentionMs <= 0) return 0;
    const before = this.#clock() - this.#options.retentionMs;
    let removed = 0;
    for (;;) {
      const count = await this.#repository.prune(before, PRUNE_BATCH);
      removed += count;
      if (count < PRUNE_BATCH) return removed;
    }
  }

  /** Stops the timers and writes what is queued (a few tries); what cannot be written is reported, by count. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (let attempt = 0; attempt < 3 && this.#pending.length > 0; attempt++) {
      await this.flush().catch(() => undefined);
    }
    if (this.#pending.length > 0) this.#log.error({ lost: this.#pending.length }, 'audit trail: entries could not be written before shutdown and are lost');
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new ToolproxyError('AUDIT_UNAVAILABLE'));
    }
  }
}
