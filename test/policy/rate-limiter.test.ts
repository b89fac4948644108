import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MemoryRateLimiter, RateLimitedError, SharedRateLimiter } from '../../src/policy/rate-limiter.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestStore } from '../helpers/databases.ts';

/** The token buckets: in memory on an injected clock, and shared through Postgres by several limiters (instances). */

test('memory: a burst of capacity, then refusals with the wait until a token is back, refilled by time', () => {
  let now = 1_000_000;
  const limiter = new MemoryRateLimiter(() => now);
  const limit = { capacity: 3, perMs: 1 / 1000 }; // 3, one a second
  for (let i = 0; i < 3; i++) assert.equal(limiter.take('a', limit), true);
  const refused = limiter.take('a', limit);
  assert.ok(refused instanceof RateLimitedError);
  assert.equal(refused.retryAfterSeconds, 1);
  assert.equal(refused.code, 'RATE_LIMITED');
  assert.equal(limiter.take('b', limit), true, 'buckets are per account');
  now += 1000;
  assert.equal(limiter.take('a', limit), true);
  assert.ok(limiter.take('a', limit) instanceof RateLimitedError);
  now += 60_000;
  for (let i = 0; i < 3; i++) assert.equal(limiter.take('a', limit), true, 'refilled to capacity, never beyond');
  assert.ok(limiter.take('a', limit) instanceof RateLimitedError);
});

let postgres: { store: Store; cleanup(): Promise<void> } | undefined;
before(async () => {
  try {
    postgres = await createTestStore('postgres');
  } catch (error) {
    if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
  }
});
after(async () => postgres?.cleanup());

test('shared: three limiters on one Postgres, many concurrent takers, hand out exactly the bucket', async (t) => {
  if (!postgres) return t.skip('Postgres not reachable');
  const limiters = [0, 1, 2].map(() => new SharedRateLimiter({ repository: postgres!.store.policies, clock: Date.now }));
  const limit = { capacity: 200, perMs: 1 / 3_600_000 }; // 200, then one an hour
  const results = await Promise.all(Array.from({ length: 300 }, (_, i) => limiters[i % 3]!.take('ca_shared', limit)));
  const admitted = results.filter((r) => r === true).length;
  // Each limiter may hold back at most one batch (200 / 50 = 4 tokens) it took and did not spend.
  assert.ok(admitted <= 200 && admitted >= 200 - 3 * 4, `admitted ${admitted}`);
  const refused = results.find((r) => r !== true);
  assert.ok(refused instanceof RateLimitedError && refused.retryAfterSeconds >= 1);
  // A refused limiter remembers the empty bucket: asking again (synchronously refused) sends no
  // statement. Which limiters were refused in the burst depends on timing, so each first spends
  // what it still holds and is refused once (a few takes at most).
  for (const limiter of limiters) {
    let refusals = 0;
    for (let i = 0; i < 10 && refusals === 0; i++) {
      if ((await limiter.take('ca_shared', limit)) instanceof RateLimitedError) refusals++;
    }
    assert.equal(refusals, 1, 'every limiter learns the bucket is empty');
  }
  const sent = () => postgres!.store.statements.counts().find((c) => c.table === 'policy_rate_buckets')?.count ?? 0;
  const before = sent();
  for (const limiter of limiters) {
    const answer = limiter.take('ca_shared', limit);
    assert.ok(!(answer instanceof Promise), 'answered from memory');
    assert.ok(answer instanceof RateLimitedError);
  }
  assert.equal(sent(), before);
});
