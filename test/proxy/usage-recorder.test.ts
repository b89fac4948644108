import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageRecorder } from '../../src/proxy/usage-recorder.ts';
import { createTestStore } from '../helpers/databases.ts';
import { NOW, seedAccount } from '../store/fixtures.ts';

test('last_used_at is written in batches, at most once per account per granularity period', async () => {
  const { store, cleanup } = await createTestStore('sqlite');
  let now = NOW;
  const usage = new UsageRecorder({ store, clock: () => now, intervalMs: 3_600_000, granularityMs: 60_000, onError: (e) => assert.fail(String(e)) });
  try {
    const { account } = await seedAccount(store);
    usage.mark(account.id);
    await usage.flush();
    assert.equal((await store.accounts.findById(account.id))?.last_used_at, NOW);
    now += 30_000;
    usage.mark(account.id);
    await usage.flush();
    assert.equal((await store.accounts.findById(account.id))?.last_used_at, NOW, 'within the minute: not written again');
    now += 31_000;
    usage.mark(account.id);
    await usage.close();
    assert.equal((await store.accounts.findById(account.id))?.last_used_at, NOW + 61_000);
  } finally {
    await cleanup();
  }
});
