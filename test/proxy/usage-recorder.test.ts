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
    // The recorder keeps its bookkeeping on the proxy's cache entry for the account.
    const entry = { accountId: account.id, usagePeriod: 0 };
    usage.mark(entry);
    await usage.flush();
    assert.equal((await store.accounts.findById(account.id))?.last_used_at, NOW);
    now += 30_000;
    usage.mark(entry);
    await usage.flush();
    assert.equal((await store.accounts.findById(account.id))?.last_used_at, NOW, 'within the minute: not written again');
    now += 31_000;
    usage.mark(entry);
    await usage.close();
    assert.equal((await store.accounts.findById(account.id))?.last_used_at, NOW + 61_000);
  } finally {
    await cleanup();
  }
});

test('by default an account is written at most once every five minutes; a new cache entry writes again', async () => {
  const { store, cleanup } = await createTestStore('sqlite');
  let now = NOW;
  const usage = new UsageRecorder({ store, clock: () => now, intervalMs: 3_600_000, onError: (e) => assert.fail(String(e)) });
  try {
    const { account } = await seedAccount(store);
    const entry = { accountId: account.id, usagePeriod: 0 };
    usage.mark(entry);
    await usage.flush();
    now += 299_000;
    usage.mark(entry);
    await usage.flush();
    assert.equal((await store.accounts.findById(account.id))?.last_used_at, NOW, 'within five minutes: not written again');
    usage.mark({ accountId: account.id, usagePeriod: 0 });
    await usage.flush();
    assert.equal((await store.accounts.findById(account.id))?.last_used_at, NOW + 299_000, 'a reloaded entry starts afresh');
    now += 301_000;
    usage.mark(entry);
    await usage.close();
    assert.equal((await store.accounts.findById(account.id))?.last_used_at, NOW + 600_000);
  } finally {
    await cleanup();
  }
});
