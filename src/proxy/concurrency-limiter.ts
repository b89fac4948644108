import { ToolproxyError } from '../errors.ts';

/** P19 limits; see the TOOLPROXY_PROXY_* settings in src/config.ts. */
export interface ConcurrencyLimits {
  /** Calls in flight per connected account (connection name + identifier); 0 means unlimited. */
  maxPerAccount: number;
  /** Calls in flight per connection, all its accounts together; 0 means unlimited. */
  maxPerConnection: number;
  /** Calls that may wait for a slot of one account; 0 refuses at once when the account is full. */
  queuePerAccount: number;
  /** Calls that may wait for a slot of one connection; 0 refuses at once when it is full. */
  queuePerConnection: number;
  /** Longest a call waits in a queue before it is refused. */
  queueTimeoutMs: number;
}

export type LimitKind = 'account' | 'connection';

/** Timers of the waiting calls, injectable so tests control time instead of sleeping. */
export interface WaitTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const systemTimers: WaitTimers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A refused call: 429 with a Retry-After the route sends as a header. */
export class ConcurrencyLimitError extends ToolproxyError {
  constructor(
    readonly limit: LimitKind,
    readonly reason: 'queue_full' | 'queue_timeout',
    readonly retryAfterSeconds: number,
    message: string,
    details: Record<string, unknown>,
  ) {
    super('CONCURRENCY_LIMIT_EXCEEDED', { message, details: { limit, reason, ...details, retry_after_seconds: retryAfterSeconds } });
  }
}

/** A call waiting for a slot: first in its account's queue, then, holding an account slot, in its connection's. */
class Waiter {
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  /** The queue it is in; undefined once it got its slot or gave up. */
  queue: Gate | undefined = undefined;
  timer: unknown = undefined;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly account: AccountGate,
    readonly resolve: (slot: AccountGate) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {}
}

/** A count of calls in flight and an intrusive FIFO of waiters (no array to shift or splice). */
class Gate {
  inFlight = 0;
  waiting = 0;
  head: Waiter | undefined = undefined;
  tail: Waiter | undefined = undefined;

  push(waiter: Waiter): void {
    waiter.queue = this;
    waiter.prev = this.tail;
    waiter.next = undefined;
    if (this.tail === undefined) this.head = waiter;
    else this.tail.next = waiter;
    this.tail = waiter;
    this.waiting++;
  }

  shift(): Waiter | undefined {
    const waiter = this.head;
    if (waiter !== undefined) this.remove(waiter);
    return waiter;
  }

  remove(waiter: Waiter): void {
    if (waiter.prev === undefined) this.head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = waiter.next = waiter.queue = undefined;
    this.waiting--;
  }
}

class ConnectionGate extends Gate {
  readonly accounts = new Map<string, AccountGate>();
  constructor(readonly name: string) {
    super();
  }
}

/** One account's gate; also the slot handed to a caller, who gives it back to `release`. */
export class AccountGate extends Gate {
  constructor(
    readonly connection: ConnectionGate,
    readonly identifier: string,
  ) {
    super();
  }
}

export type ConcurrencySlot = AccountGate;

/**
 * P19: bounds the calls in flight per connected account and per connection, so that one account
 * (or one connection) with a slow upstream cannot take every socket, file descriptor and byte of
 * memory of the process. A call takes an account slot, then a connection slot; over a limit it
 * waits in that key's FIFO queue, bounded in length and time, and beyond either it is refused at
 * once with 429 CONCURRENCY_LIMIT_EXCEEDED.
 *
 * Hot path: a call under both limits costs two Map lookups and two increments, with no timer
 * and no promise; a timer and a promise exist only for a call that has to wait. A freed slot is
 * handed straight to the next waiter, so a queue is never overtaken. A key's entry is deleted
 * when nothing is in flight or waiting for it, so memory follows current load, not the number of
 * accounts ever seen.
 *
 * A per-account rate limit (token bucket) is deliberately not here: its state has to outlive the
 * calls (a bucket refills after they end), which needs a sweep timer to forget idle accounts and
 * a clock read per call; and with several instances behind a load balancer a per-process rate
 * is only a fraction of the real one. The concurrency limit already caps an account's share of
 * this process (at most maxPerAccount / latency calls per second).
 */
export class ConcurrencyLimiter {
  readonly #connections = new Map<string, ConnectionGate>();
  readonly #limits: ConcurrencyLimits;
  readonly #maxPerAccount: number;
  readonly #maxPerConnection: number;
  readonly #timers: WaitTimers;
  #inFlight = 0;
  #waiting = 0;

  constructor(limits: ConcurrencyLimits, timers: WaitTimers = systemTimers) {
    this.#limits = limits;
    this.#maxPerAccount = limits.maxPerAccount === 0 ? Infinity : limits.maxPerAccount;
    this.#maxPerConnection = limits.maxPerConnection === 0 ? Infinity : limits.maxPerConnection;
    this.#timers = timers;
  }

  /** The limiter for these settings, or undefined when both limits are off (nothing to count). */
  static fromLimits(limits: ConcurrencyLimits, timers?: WaitTimers): ConcurrencyLimiter | undefined {
    return limits.maxPerAccount === 0 && limits.maxPerConnection === 0 ? undefined : new ConcurrencyLimiter(limits, timers);
  }

  /**
   * A slot for one call, to be given back with `release` exactly once when the call is over.
   * Returns it at once when both limits allow; otherwise a promise that waits in line. Throws
   * ConcurrencyLimitError when the queue is full; the promise rejects with it when the wait times
   * out, or with `signal.reason` when the signal aborts first (the waiter leaves the queue).
   */
  acquire(connectionName: string, identifier: string, signal?: AbortSignal): ConcurrencySlot | Promise<ConcurrencySlot> {
    let connection = this.#connections.get(connectionName);
    if (connection === undefined) this.#connections.set(connectionName, (connection = new ConnectionGate(connectionName)));
    let account = connection.accounts.get(identifier);
    if (account === undefined) connection.accounts.set(identifier, (account = new AccountGate(connection, identifier)));

    if (account.inFlight >= this.#maxPerAccount || account.head !== undefined) return this.#wait(account, account, signal);
    account.inFlight++;
    if (connection.inFlight >= this.#maxPerConnection || connection.head !== undefined) return this.#wait(account, connection, signal);
    connection.inFlight++;
    this.#inFlight++;
    return account;
  }

  /** Gives back the slot of a call that is over (relayed, failed or aborted). */
  release(slot: ConcurrencySlot): void {
    this.#inFlight--;
    const connection = slot.connection;
    const next = connection.shift();
    // The connection slot passes straight to the next waiter, whichever account it belongs to.
    if (next === undefined) connection.inFlight--;
    else this.#grant(next);
    this.#releaseAccountSlot(slot);
  }

  /** For metrics and tests: calls in flight and waiting, and the keys currently tracked. */
  stats(): { inFlight: number; waiting: number; connections: number; accounts: number } {
    let accounts = 0;
    for (const connection of this.#connections.values()) accounts += connection.accounts.size;
    return { inFlight: this.#inFlight, waiting: this.#waiting, connections: this.#connections.size, accounts };
  }

  /** Queues a call at `gate` (its account's, or its connection's while it holds an account slot). */
  #wait(account: AccountGate, gate: Gate, signal: AbortSignal | undefined): Promise<ConcurrencySlot> {
    const atConnection = gate !== account;
    const bound = atConnection ? this.#limits.queuePerConnection : this.#limits.queuePerAccount;
    if (gate.waiting >= bound || signal?.aborted) {
      if (atConnection) this.#releaseAccountSlot(account);
      if (signal?.aborted) throw signal.reason;
      throw this.#refusal(atConnection ? 'connection' : 'account', 'queue_full');
    }
    this.#waiting++;
    return new Promise((resolve, reject) => {
      const waiter = new Waiter(account, resolve, reject, signal);
      gate.push(waiter);
      waiter.timer = this.#timers.set(() => this.#giveUp(waiter, this.#refusal(waiter.queue === account ? 'account' : 'connection', 'queue_timeout')), this.#limits.queueTimeoutMs);
      if (signal !== undefined) {
        waiter.onAbort = () => this.#giveUp(waiter, signal.reason);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
    });
  }

  /** The account slot of a finished or departing call goes to the next waiter of that account. */
  #releaseAccountSlot(account: AccountGate): void {
    const connection = account.connection;
    for (let waiter = account.shift(); waiter !== undefined; waiter = account.shift()) {
      if (connection.inFlight < this.#maxPerConnection && connection.head === undefined) {
        connection.inFlight++;
        this.#grant(waiter);
        return;
      }
      if (connection.waiting < this.#limits.queuePerConnection) {
        // Keeps its account slot (and its timer and abort listener) while it waits for the connection.
        connection.push(waiter);
        return;
      }
      this.#settle(waiter);
      waiter.reject(this.#refusal('connection', 'queue_full'));
      // Its account slot is free again: try the next waiter.
    }
    account.inFlight--;
    this.#forgetIfIdle(account);
  }

  /** A waiter that holds both slots now. */
  #grant(waiter: Waiter): void {
    this.#settle(waiter);
    this.#inFlight++;
    waiter.resolve(waiter.account);
  }

  /** Timed out or aborted while waiting: leave the queue, and give back an account slot if it held one. */
  #giveUp(waiter: Waiter, error: unknown): void {
    const queue = waiter.queue;
    if (queue === undefined) return;
    this.#settle(waiter);
    // In its account's queue it held nothing (and the account, being full, keeps its entry).
    if (queue !== waiter.account) this.#releaseAccountSlot(waiter.account);
    waiter.reject(error);
  }

  /** Out of every queue: stop its timer and abort listener. */
  #settle(waiter: Waiter): void {
    if (waiter.queue !== undefined) waiter.queue.remove(waiter);
    this.#waiting--;
    this.#timers.clear(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  /** 100,000 accounts seen must not leave 100,000 entries behind: drop keys with nothing in flight or waiting. */
  #forgetIfIdle(account: AccountGate): void {
    if (account.inFlight > 0 || account.head !== undefined) return;
    const connection = account.connection;
    if (connection.accounts.get(account.identifier) === account) connection.accounts.delete(account.identifier);
    if (connection.inFlight > 0 || connection.head !== undefined || connection.accounts.size > 0) return;
    if (this.#connections.get(connection.name) === connection) this.#connections.delete(connection.name);
  }

  #refusal(limit: LimitKind, reason: 'queue_full' | 'queue_timeout'): ConcurrencyLimitError {
    const { queueTimeoutMs } = this.#limits;
    const who = limit === 'account' ? 'connected account' : 'connection';
    const max = limit === 'account' ? this.#limits.maxPerAccount : this.#limits.maxPerConnection;
    const queue = limit === 'account' ? this.#limits.queuePerAccount : this.#limits.queuePerConnection;
    const maxSetting = limit === 'account' ? 'TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT' : 'TOOLPROXY_PROXY_MAX_CONCURRENT_PER_CONNECTION';
    const queueSetting = limit === 'account' ? 'TOOLPROXY_PROXY_QUEUE_PER_ACCOUNT' : 'TOOLPROXY_PROXY_QUEUE_PER_CONNECTION';
    const why = reason === 'queue_full' ? `its wait queue is full (${queueSetting}=${queue})` : `no slot freed up within ${queueTimeoutMs} ms (TOOLPROXY_PROXY_QUEUE_TIMEOUT_MS)`;
    // A full queue says nothing about when a slot frees; a wait that timed out says slots turn
    // over slower than the queue timeout, so coming back sooner than that would only be refused.
    const retryAfterSeconds = reason === 'queue_full' ? 1 : Math.max(1, Math.ceil(queueTimeoutMs / 1000));
    return new ConcurrencyLimitError(
      limit,
      reason,
      retryAfterSeconds,
      `This ${who} already has ${max} calls in flight (${maxSetting}=${max}) and ${why}. Retry after the Retry-After delay.`,
      { max_concurrent: max, queue },
    );
  }
}
