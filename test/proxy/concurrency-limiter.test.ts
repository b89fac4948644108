import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../src/config.ts';
import {
  type ConcurrencyLimits,
  ConcurrencyLimitError,
  ConcurrencyLimiter,
  type ConcurrencySlot,
  type WaitTimers,
} from '../../src/proxy/concurrency-limiter.ts';

/** P19: per-account and per-connection concurrency limits with bounded FIFO queues. */

const LIMITS: ConcurrencyLimits = { maxPerAccount: 2, maxPerConnection: 100, queuePerAccount: 3, queuePerConnection: 100, queueTimeoutMs: 1000 };

/** Timers the test moves by hand: no sleeping, no flakiness. */
function manualTimers(): WaitTimers & { advance(ms: number): void; readonly pending: number } {
  let now = 0;
  const timers = new Set<{ at: number; callback: () => void }>();
  return {
    set(callback, ms) {
      const timer = { at: now + ms, callback };
      timers.add(timer);
      return timer;
    },
    clear(handle) {
      timers.delete(handle as { at: number; callback: () => void });
    },
    advance(ms) {
      now += ms;
      for (const timer of [...timers].sort((a, b) => a.at - b.at)) {
        if (timer.at > now) break;
        timers.delete(timer);
        timer.callback();
      }
    },
    get pending() {
      return timers.size;
    },
  };
}

function limiter(overrides: Partial<ConcurrencyLimits> = {}, timers = manualTimers()) {
  return { limiter: new ConcurrencyLimiter({ ...LIMITS, ...overrides }, timers), timers };
}

/** A slot granted at once (not a promise). */
function now(result: ConcurrencySlot | Promise<ConcurrencySlot>): ConcurrencySlot {
  assert.ok(!(result instanceof Promise), 'expected a slot at once');
  return result;
}

function waiting(result: ConcurrencySlot | Promise<ConcurrencySlot>): Promise<ConcurrencySlot> {
  assert.ok(result instanceof Promise, 'expected the call to wait');
  return result;
}

/** Settles pending promise callbacks. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function refusal(limit: 'account' | 'connection', reason: 'queue_full' | 'queue_timeout') {
  return (error: unknown) => {
    assert.ok(error instanceof ConcurrencyLimitError);
    assert.equal(error.code, 'CONCURRENCY_LIMIT_EXCEEDED');
    assert.equal(error.statusCode, 429);
    assert.equal(error.limit, limit);
    assert.equal(error.reason, reason);
    return true;
  };
}

describe('ConcurrencyLimiter', () => {
  test('grants up to the per-account limit at once, without a timer, then makes the next call wait', () => {
    const { limiter: gate, timers } = limiter();
    now(gate.acquire('crm', 'alice'));
    now(gate.acquire('crm', 'alice'));
    assert.equal(timers.pending, 0, 'the common case sets no timer');
    void waiting(gate.acquire('crm', 'alice'));
    assert.deepEqual(gate.stats(), { inFlight: 2, waiting: 1, connections: 1, accounts: 1 });
  });

  test('one full account does not hold up another account or another connection', () => {
    const { limiter: gate } = limiter({ queuePerAccount: 0 });
    now(gate.acquire('crm', 'alice'));
    now(gate.acquire('crm', 'alice'));
    assert.throws(() => gate.acquire('crm', 'alice'), refusal('account', 'queue_full'));
    now(gate.acquire('crm', 'bob'));
    now(gate.acquire('billing', 'alice'));
  });

  test('hands freed slots to waiters in the order they arrived (FIFO)', async () => {
    const { limiter: gate } = limiter({ maxPerAccount: 1 });
    const first = now(gate.acquire('crm', 'alice'));
    const order: string[] = [];
    const queued = ['a', 'b', 'c'].map((name) => waiting(gate.acquire('crm', 'alice')).then((slot) => (order.push(name), slot)));
    gate.release(first);
    await tick();
    assert.deepEqual(order, ['a']);
    gate.release(await queued[0]!);
    await tick();
    gate.release(await queued[1]!);
    await tick();
    assert.deepEqual(order, ['a', 'b', 'c']);
    gate.release(await queued[2]!);
    assert.deepEqual(gate.stats(), { inFlight: 0, waiting: 0, connections: 0, accounts: 0 });
  });

  test('a new call never overtakes the queue, even at the moment a slot frees up', async () => {
    const { limiter: gate } = limiter({ maxPerAccount: 1 });
    const first = now(gate.acquire('crm', 'alice'));
    const queued = waiting(gate.acquire('crm', 'alice'));
    gate.release(first);
    // The slot already belongs to the waiter: a newcomer waits behind it.
    void waiting(gate.acquire('crm', 'alice'));
    await queued;
  });

  test('refuses at once when the queue is full, naming the limit, with Retry-After 1', () => {
    const { limiter: gate } = limiter();
    now(gate.acquire('crm', 'alice'));
    now(gate.acquire('crm', 'alice'));
    for (let i = 0; i < 3; i++) void waiting(gate.acquire('crm', 'alice'));
    assert.throws(() => gate.acquire('crm', 'alice'), (error: unknown) => {
      assert.ok(refusal('account', 'queue_full')(error));
      const limited = error as ConcurrencyLimitError;
      assert.equal(limited.retryAfterSeconds, 1);
      assert.match(limited.message, /TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT=2/);
      assert.match(limited.message, /TOOLPROXY_PROXY_QUEUE_PER_ACCOUNT=3/);
      assert.ok(!limited.message.includes('alice') && !limited.message.includes('crm'), 'no caller input in the message');
      assert.deepEqual(limited.toBody().error.details, { limit: 'account', reason: 'queue_full', max_concurrent: 2, queue: 3, retry_after_seconds: 1 });
      return true;
    });
    assert.equal(gate.stats().waiting, 3);
  });

  test('refuses a call that waited longer than the queue timeout, and forgets it', async () => {
    const { limiter: gate, timers } = limiter({ maxPerAccount: 1, queueTimeoutMs: 2500 });
    const held = now(gate.acquire('crm', 'alice'));
    const queued = waiting(gate.acquire('crm', 'alice'));
    timers.advance(2499);
    assert.equal(gate.stats().waiting, 1);
    timers.advance(1);
    await assert.rejects(queued, (error: unknown) => refusal('account', 'queue_timeout')(error) && (error as ConcurrencyLimitError).retryAfterSeconds === 3);
    assert.equal(gate.stats().waiting, 0);
    gate.release(held);
    assert.deepEqual(gate.stats(), { inFlight: 0, waiting: 0, connections: 0, accounts: 0 });
  });

  test('a waiter whose caller went away leaves the queue, and the next one gets the slot', async () => {
    const { limiter: gate, timers } = limiter({ maxPerAccount: 1 });
    const held = now(gate.acquire('crm', 'alice'));
    const gone = new AbortController();
    const abandoned = waiting(gate.acquire('crm', 'alice', gone.signal));
    const patient = waiting(gate.acquire('crm', 'alice'));
    gone.abort(new Error('caller closed'));
    await assert.rejects(abandoned, /caller closed/);
    assert.equal(gate.stats().waiting, 1);
    gate.release(held);
    const slot = await patient;
    assert.equal(timers.pending, 0, 'the granted waiter no longer has a timer');
    gate.release(slot);
    assert.deepEqual(gate.stats(), { inFlight: 0, waiting: 0, connections: 0, accounts: 0 });
  });

  test('a call whose signal is already aborted does not queue', () => {
    const { limiter: gate } = limiter({ maxPerAccount: 1 });
    now(gate.acquire('crm', 'alice'));
    const gone = new AbortController();
    gone.abort(new Error('already gone'));
    assert.throws(() => gate.acquire('crm', 'alice', gone.signal), /already gone/);
    assert.equal(gate.stats().waiting, 0);
  });

  test('100,000 accounts leave no entries behind once their calls are over', () => {
    const { limiter: gate } = limiter({ maxPerConnection: 0 });
    const slots: ConcurrencySlot[] = [];
    for (let i = 0; i < 100_000; i++) slots.push(now(gate.acquire(`conn_${i % 10}`, `user_${i}`)));
    assert.deepEqual(gate.stats(), { inFlight: 100_000, waiting: 0, connections: 10, accounts: 100_000 });
    for (const slot of slots) gate.release(slot);
    assert.deepEqual(gate.stats(), { inFlight: 0, waiting: 0, connections: 0, accounts: 0 });
  });

  describe('per connection', () => {
    test('caps all accounts of a connection together; a waiting account takes the next free connection slot', async () => {
      const { limiter: gate } = limiter({ maxPerConnection: 2 });
      const alice = now(gate.acquire('crm', 'alice'));
      now(gate.acquire('crm', 'bob'));
      const carol = waiting(gate.acquire('crm', 'carol'));
      now(gate.acquire('billing', 'carol'));
      gate.release(alice);
      await carol;
      assert.deepEqual(gate.stats(), { inFlight: 3, waiting: 0, connections: 2, accounts: 3 });
    });

    test('a full connection queue refuses with limit "connection" and gives back the account slot it took', () => {
      const { limiter: gate } = limiter({ maxPerConnection: 1, queuePerConnection: 0 });
      now(gate.acquire('crm', 'alice'));
      assert.throws(() => gate.acquire('crm', 'bob'), refusal('connection', 'queue_full'));
      assert.deepEqual(gate.stats(), { inFlight: 1, waiting: 0, connections: 1, accounts: 1 }, "bob's entry is gone");
    });

    test('a call that times out waiting for the connection frees its account slot for the next waiter of that account', async () => {
      const { limiter: gate, timers } = limiter({ maxPerAccount: 1, maxPerConnection: 1 });
      const alice = now(gate.acquire('crm', 'alice'));
      // bob #1 takes bob's only account slot and waits for the connection; bob #2 waits for bob's slot.
      const bob1 = waiting(gate.acquire('crm', 'bob'));
      timers.advance(500);
      const bob2 = waiting(gate.acquire('crm', 'bob'));
      timers.advance(500);
      await assert.rejects(bob1, refusal('connection', 'queue_timeout'));
      // bob #2 moved on to the connection queue; it gets the connection slot when alice is done.
      assert.deepEqual(gate.stats(), { inFlight: 1, waiting: 1, connections: 1, accounts: 2 });
      gate.release(alice);
      gate.release(await bob2);
      assert.deepEqual(gate.stats(), { inFlight: 0, waiting: 0, connections: 0, accounts: 0 });
    });
  });

  test('0 means unlimited; with both limits off there is no limiter at all', () => {
    assert.equal(ConcurrencyLimiter.fromLimits({ ...LIMITS, maxPerAccount: 0, maxPerConnection: 0 }), undefined);
    const gate = ConcurrencyLimiter.fromLimits({ ...LIMITS, maxPerAccount: 0, maxPerConnection: 3 }, manualTimers())!;
    for (let i = 0; i < 3; i++) now(gate.acquire('crm', 'alice'));
    void waiting(gate.acquire('crm', 'alice'));
  });

  test('never leaks a slot or an entry, and never exceeds a limit, whatever the order of events (property)', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), connection: fc.nat(1), account: fc.nat(1), abortable: fc.boolean() }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 600 }) }),
    );
    const limits = fc.record({
      maxPerAccount: fc.integer({ min: 1, max: 3 }),
      maxPerConnection: fc.integer({ min: 1, max: 4 }),
      queuePerAccount: fc.integer({ min: 0, max: 3 }),
      queuePerConnection: fc.integer({ min: 0, max: 3 }),
      queueTimeoutMs: fc.constant(1000),
    });
    await fc.assert(
      fc.asyncProperty(limits, fc.array(step, { minLength: 5, maxLength: 80, size: 'max' }), async (settings, steps) => {
        const timers = manualTimers();
        const gate = new ConcurrencyLimiter(settings, timers);
        const held: { key: string; connection: string; slot: ConcurrencySlot }[] = [];
        const waiters: AbortController[] = [];
        const check = () => {
          const perAccount = new Map<string, number>();
          const perConnection = new Map<string, number>();
          for (const { key, connection } of held) {
            perAccount.set(key, (perAccount.get(key) ?? 0) + 1);
            perConnection.set(connection, (perConnection.get(connection) ?? 0) + 1);
          }
          for (const count of perAccount.values()) assert.ok(count <= settings.maxPerAccount);
          for (const count of perConnection.values()) assert.ok(count <= settings.maxPerConnection);
          assert.equal(gate.stats().inFlight, held.length);
        };
        for (const s of steps) {
          if (s.kind === 'acquire') {
            const connection = `c${s.connection}`;
            const key = `${connection}/a${s.account}`;
            const abort = new AbortController();
            try {
              const result = gate.acquire(connection, `a${s.account}`, s.abortable ? abort.signal : undefined);
              if (result instanceof Promise) {
                waiters.push(abort);
                result.then((slot) => held.push({ key, connection, slot }), () => undefined);
              } else held.push({ key, connection, slot: result });
            } catch (error) {
              assert.ok(error instanceof ConcurrencyLimitError);
            }
          } else if (s.kind === 'release' && held.length > 0) {
            gate.release(held.splice(s.pick % held.length, 1)[0]!.slot);
          } else if (s.kind === 'abort' && waiters.length > 0) {
            waiters[s.pick % waiters.length]!.abort(new Error('gone'));
          } else if (s.kind === 'advance') {
            timers.advance(s.ms);
          }
          await tick();
          check();
        }
        // Wind down: every queued call is granted, times out or is aborted; then all are released.
        timers.advance(10_000);
        await tick();
        while (held.length > 0) {
          gate.release(held.pop()!.slot);
          await tick();
        }
        assert.deepEqual(gate.stats(), { inFlight: 0, waiting: 0, connections: 0, accounts: 0 });
        assert.equal(timers.pending, 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('TOOLPROXY_PROXY_* settings', () => {
  test('default to 64 per account and 1,024 per connection, queues of 256 and 1,024, a 10 s wait', () => {
    assert.deepEqual(loadConfig({}).proxyLimits, { maxPerAccount: 64, maxPerConnection: 1024, queuePerAccount: 256, queuePerConnection: 1024, queueTimeoutMs: 10_000 });
  });

  test('accept 0 for unlimited concurrency and for no queue', () => {
    const config = loadConfig({
      TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT: '0',
      TOOLPROXY_PROXY_MAX_CONCURRENT_PER_CONNECTION: '0',
      TOOLPROXY_PROXY_QUEUE_PER_ACCOUNT: '0',
      TOOLPROXY_PROXY_QUEUE_PER_CONNECTION: '0',
    });
    assert.deepEqual(config.proxyLimits, { maxPerAccount: 0, maxPerConnection: 0, queuePerAccount: 0, queuePerConnection: 0, queueTimeoutMs: 10_000 });
    assert.ok(Object.isFrozen(config.proxyLimits));
  });

  test('refuse to start on a value out of range, naming every variable', () => {
    assert.throws(
      () => loadConfig({ TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT: '-1', TOOLPROXY_PROXY_QUEUE_PER_ACCOUNT: 'lots', TOOLPROXY_PROXY_QUEUE_TIMEOUT_MS: '0' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 3);
        for (const name of ['TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT', 'TOOLPROXY_PROXY_QUEUE_PER_ACCOUNT', 'TOOLPROXY_PROXY_QUEUE_TIMEOUT_MS']) assert.match(error.message, new RegExp(name));
        return true;
      },
    );
  });
});
