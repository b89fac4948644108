import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { credentialsBinding } from '../../src/accounts/accounts-service.ts';
import { RevocationQueue, revocationBinding } from '../../src/accounts/revocation-queue.ts';
import type { OAuthClient } from '../../src/auth/oauth/oauth-client.ts';
import type { LoadedConnection } from '../../src/connections/connections-service.ts';
import { ToolproxyError } from '../../src/errors.ts';
import type { AccountRow } from '../../src/store/schema.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { loadKeyring } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { NOW } from '../store/fixtures.ts';

/**
 * The revocation retry queue (O17, RFC 7009 §2.2.1) with what a real provider cannot stage on
 * demand: scripted failures, a slow endpoint raced by two instances, a revocation that never
 * succeeds. The store (SQLite and Postgres) and the vault are real.
 */

const databases = await withTestDatabases();
const vault = new Vault(loadKeyring({ encryptionKey: randomBytes(32).toString('base64'), dataDir: '/nonexistent' }));
const BASE = 30_000;

interface Logged {
  level: 'info' | 'warn' | 'error';
  details: Record<string, unknown>;
  message: string;
}

for (const database of databases) {
  describe(`revocation queue on ${database.name}`, () => {
    let store: Store;
    let now = NOW;
    let revokeImpl: (token: string, hint: string) => Promise<boolean>;
    const revoked: Array<{ token: string; hint: string }> = [];
    const logs: Logged[] = [];
    let connectionExists = true;
    const connection = {
      row: { id: 'conn_q', name: 'oauth' },
      connector: { pattern: { type: 'OAUTH', oauth_config: { revoke_uri: 'https://as.example/revoke' } } },
    } as unknown as LoadedConnection;
    const client = {
      revoke: async (token: string, hint: string) => {
        revoked.push({ token, hint });
        return revokeImpl(token, hint);
      },
    } as unknown as OAuthClient;

    const queue = (options: { maxAttempts?: number } = {}) =>
      new RevocationQueue({
        store,
        vault,
        clock: () => now,
        clientFor: () => client,
        loadConnection: async () => {
          if (!connectionExists) throw new ToolproxyError('CONNECTION_NOT_FOUND');
          return connection;
        },
        log: {
          info: (details, message) => logs.push({ level: 'info', details: details as Record<string, unknown>, message }),
          warn: (details, message) => logs.push({ level: 'warn', details: details as Record<string, unknown>, message }),
          error: (details, message) => logs.push({ level: 'error', details: details as Record<string, unknown>, message }),
        },
        options: { baseDelayMs: BASE, maxDelayMs: 8 * BASE, maxAttempts: options.maxAttempts ?? 4, leaseMs: 10_000 },
      });

    /** An OAUTH account row as the store holds it, with tokens to revoke. */
    function account(refreshToken: string | null): AccountRow {
      const id = `ca_${randomBytes(6).toString('hex')}`;
      const credentials = { access_token: `at-${id}`, ...(refreshToken ? { refresh_token: refreshToken } : {}), token_type: 'bearer', obtained_at: NOW };
      return { id, credentials: vault.encryptJson(credentials, credentialsBinding(id)) } as AccountRow;
    }

    async function enqueue(row: AccountRow, q: RevocationQueue): Promise<string> {
      const planned = q.plan(row, connection)!;
      await store.tokenRevocations.insert(planned);
      return planned.id;
    }

    before(async () => {
      store = await openStore(database.options);
    });
    after(async () => {
      await store.close();
      await database.cleanup();
    });
    beforeEach(() => {
      now = NOW;
      revoked.length = 0;
      logs.length = 0;
      connectionExists = true;
      revokeImpl = async () => true;
    });

    test('the queued token is vault ciphertext bound to its row, the refresh token preferred', async () => {
      const q = queue();
      const id = await enqueue(account('rt-secret-1'), q);
      const row = await store.tokenRevocations.findById(id);
      assert.ok(row);
      assert.match(row.token, /^v1\./);
      assert.ok(!row.token.includes('rt-secret-1'));
      assert.equal(vault.decrypt(row.token, revocationBinding(id)), 'rt-secret-1');
      assert.throws(() => vault.decrypt(row.token, revocationBinding('rv_other')), /./, 'bound to its own row (AAD)');
      assert.equal(row.token_type_hint, 'refresh_token');
      const accessOnly = q.plan(account(null), connection)!;
      assert.equal(accessOnly.token_type_hint, 'access_token');
      await q.runDue();
      assert.equal(await store.tokenRevocations.count(), 0);
    });

    test('a failed revocation is retried with backoff until it succeeds, then removed', async () => {
      const q = queue();
      revokeImpl = async () => {
        throw new ToolproxyError('OAUTH_PROVIDER_UNAVAILABLE', { details: { status: 503 } });
      };
      const id = await enqueue(account('rt-retry'), q);
      assert.equal(await q.runDue(), 1);
      let row = await store.tokenRevocations.findById(id);
      assert.equal(row?.attempts, 1);
      assert.equal(row?.last_error, 'OAUTH_PROVIDER_UNAVAILABLE');
      assert.equal(row?.lease_owner, null, 'the lease is freed');
      assert.ok(row!.next_attempt_at >= NOW + BASE * 0.8 && row!.next_attempt_at <= NOW + BASE * 1.2);
      assert.equal(await q.runDue(), 0, 'not due yet');

      now = row!.next_attempt_at;
      await q.runDue();
      row = await store.tokenRevocations.findById(id);
      assert.equal(row?.attempts, 2);
      assert.ok(row!.next_attempt_at - now >= 2 * BASE * 0.8, 'the delay doubles');

      revokeImpl = async () => true;
      now = row!.next_attempt_at;
      await q.runDue();
      assert.equal(await store.tokenRevocations.findById(id), undefined);
      assert.deepEqual(revoked.map((r) => r.token), ['rt-retry', 'rt-retry', 'rt-retry']);
      assert.ok(logs.some((l) => l.level === 'info' && l.message === 'token revoked after retries'));
      assert.ok(!JSON.stringify(logs).includes('rt-retry'), 'the token is never logged');
    });

    test('two instances working the queue at once send each revocation once (lease)', async () => {
      const a = queue();
      const b = queue();
      revokeImpl = async () => {
        await sleep(150);
        return true;
      };
      const ids = [await enqueue(account('rt-race-1'), a), await enqueue(account('rt-race-2'), a)];
      await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
      assert.deepEqual(revoked.map((r) => r.token).sort(), ['rt-race-1', 'rt-race-2']);
      for (const id of ids) assert.equal(await store.tokenRevocations.findById(id), undefined);
    });

    test('an instance that died holding the lease leaves the row to the others once the lease expires', async () => {
      const q = queue();
      const id = await enqueue(account('rt-orphan'), q);
      assert.ok(await store.tokenRevocations.claim(id, 'dead-instance', now, now + 10_000));
      assert.equal(await q.runDue(), 0);
      now += 10_001;
      assert.equal(await q.runDue(), 1);
      assert.equal(await store.tokenRevocations.findById(id), undefined);
    });

    test('gives up after maxAttempts and logs it at error level, without the token', async () => {
      const q = queue({ maxAttempts: 3 });
      revokeImpl = async () => {
        throw new Error('connection reset');
      };
      const id = await enqueue(account('rt-never'), q);
      for (let i = 0; i < 3; i++) {
        await q.runDue();
        const row = await store.tokenRevocations.findById(id);
        if (row) now = row.next_attempt_at;
      }
      assert.equal(await store.tokenRevocations.findById(id), undefined);
      assert.equal(revoked.length, 3);
      const abandoned = logs.filter((l) => l.level === 'error');
      assert.equal(abandoned.length, 1);
      assert.match(abandoned[0]!.message, /abandoned/);
      assert.equal(abandoned[0]!.details.attempts, 3);
      assert.equal(logs.filter((l) => l.level === 'warn').length, 2);
      assert.ok(!JSON.stringify(logs).includes('rt-never'));
    });

    test('what the provider says decides: invalid_grant and unsupported_token_type are done, invalid_request is given up at once', async () => {
      const q = queue();
      for (const [error, outcome] of [
        [new ToolproxyError('ACCOUNT_EXPIRED', { details: { error: 'invalid_grant' } }), 'done'],
        [new ToolproxyError('OAUTH_PROVIDER_ERROR', { details: { error: 'unsupported_token_type' } }), 'done'],
        [new ToolproxyError('OAUTH_PROVIDER_ERROR', { details: { error: 'invalid_request' } }), 'abandoned'],
      ] as const) {
        logs.length = 0;
        revokeImpl = async () => {
          throw error;
        };
        const id = await enqueue(account(`rt-${outcome}`), q);
        await q.runDue();
        assert.equal(await store.tokenRevocations.findById(id), undefined, String(error.details));
        assert.equal(logs.some((l) => l.level === 'error'), outcome === 'abandoned');
      }
    });

    test('a revocation whose connection was deleted meanwhile is given up', async () => {
      const q = queue();
      const id = await enqueue(account('rt-orphaned-connection'), q);
      connectionExists = false;
      await q.runDue();
      assert.equal(await store.tokenRevocations.findById(id), undefined);
      assert.equal(revoked.length, 0);
      assert.equal(logs.find((l) => l.level === 'error')?.details.code, 'CONNECTION_NOT_FOUND');
    });

    test('close() waits for attempts in flight; nothing is left leased', async () => {
      const q = queue();
      revokeImpl = async () => {
        await sleep(100);
        return true;
      };
      const id = await enqueue(account('rt-closing'), q);
      q.kick(id);
      await q.close();
      assert.equal(await store.tokenRevocations.findById(id), undefined);
    });
  });
}
