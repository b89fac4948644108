import type { Clock } from '../clock.ts';
import { ToolproxyError } from '../errors.ts';
import type { PolicyRepository } from '../store/policies-repository.ts';

/** A token bucket's size and refill: `capacity` tokens, `perMs` tokens a millisecond. */
export interface RateLimit {
  readonly capacity: number;
  readonly perMs: number;
}

/** A refused call: 429 RATE_LIMITED with a Retry-After (seconds) the `/proxy` door sends as a header. */
export class RateLimitedError extends ToolproxyError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', { details: { rule: 'rate_limit', retry_after_seconds: retryAfterSeconds } });
  }
}

/**
 * The per-account rate limit of a policy (`rate_limit`), a token bucket. `take` answers at once
 * when it can (true: go; a RateLimitedError: refused) and with a promise only when it has to ask
 * the database.
 */
export interface RateLimiter {
  take(accountId: string, limit: RateLimit): true | RateLimitedError | Promise<true | RateLimitedError>;
}

/** One instance (SQLite): buckets in memory, on the injected clock. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #clock: Clock;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  take(accountId: string, limit: RateLimit): true | RateLimitedError {
    const now = this.#clock();
    let bucket = this.#buckets.get(accountId);
    if (bucket === undefined) {
      bucket = { tokens: limit.capacity, at: now };
      this.#buckets.set(accountId, bucket);
    }
    bucket.tokens = Math.min(limit.capacity, bucket.tokens + Math.max(0, now - bucket.at) * limit.perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    return refused((1 - bucket.tokens) / limit.perMs);
  }
}

interface Lease {
  /** Tokens this instance took from the shared bucket and has not used yet. */
  tokens: number;
  /** While the shared bucket is empty: refuse here, without asking, until then (epoch ms). */
  emptyUntil: number;
  taking: Promise<void> | undefined;
}

/**
 * Several instances on one Postgres share each account's bucket (policy_rate_buckets). A call
 * does not cost a statement: an instance takes tokens in small batches (1/50 of the bucket, at
 * most 100) with one atomic statement, and spends them from memory. Tokens taken and not yet
 * spent are the only error: at most a batch per instance, refused too early (never too late),
 * which keeps the limit within a few percent across instances. An empty bucket is remembered
 * until it has refilled one token, so a flood of refused calls sends no SQL either.
 */
export class SharedRateLimiter implements RateLimiter {
  readonly #repository: PolicyRepository;
  readonly #clock: Clock;
  readonly #leases = new Map<string, Lease>();

  constructor(deps: { repository: PolicyRepository; clock: Clock }) {
    this.#repository = deps.repository;
    this.#clock = deps.clock;
  }

  take(accountId: string, limit: RateLimit): true | RateLimitedError | Promise<true | RateLimitedError> {
    let lease = this.#leases.get(accountId);
    if (lease === undefined) {
      lease = { tokens: 0, emptyUntil: 0, taking: undefined };
      this.#leases.set(accountId, lease);
    }
    if (lease.tokens >= 1) {
      lease.tokens -= 1;
      return true;
    }
    const wait = lease.emptyUntil - this.#clock();
    if (wait > 0 && lease.taking === undefined) return refused(wait);
    return this.#takeShared(accountId, lease, limit);
  }

  async #takeShared(accountId: string, lease: Lease, limit: RateLimit): Promise<true | RateLimitedError> {
    for (;;) {
      if (lease.taking === undefined) lease.taking = this.#lease(accountId, lease, limit);
      const taking = lease.taking;
      try {
        await taking;
      } finally {
        if (lease.taking === taking) lease.taking = undefined;
      }
      if (lease.tokens >= 1) {
        lease.tokens -= 1;
        return true;
      }
      const wait = lease.emptyUntil - this.#clock();
      if (wait > 0) return refused(wait);
    }
  }

  async #lease(accountId: string, lease: Lease, limit: RateLimit): Promise<void> {
    const batch = Math.max(1, Math.min(100, Math.floor(limit.capacity / 50)));
    const taken = await this.#repository.takeTokens(accountId, limit.capacity, limit.perMs, batch);
    lease.tokens += taken.granted;
    lease.emptyUntil = taken.granted > 0 ? 0 : this.#clock() + Math.max(1, (1 - taken.tokens) / limit.perMs);
  }
}

function refused(waitMs: number): RateLimitedError {
  return new RateLimitedError(Math.max(1, Math.ceil(waitMs / 1000)));
}
