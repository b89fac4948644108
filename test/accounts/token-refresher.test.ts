import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { credentialsBinding } from '../../src/accounts/accounts-service.ts';
import { TokenRefresher } from '../../src/accounts/token-refresher.ts';
import type { OAuthClient } from '../../src/auth/oauth/oauth-client.ts';
import { isExpiring, type OAuthCredentials, type TokenSet } from '../../src/auth/oauth/token-set.ts';
import { ChangeFeed } from '../../src/changes.ts';
import type { LoadedConnection } from '../../src/connections/connections-service.ts';
import { ToolproxyError } from '../../src/errors.ts';
import type { Store } from '../../src/store/store.ts';
import { loadKeyring } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { createTestStore } from '../helpers/databases.ts';
import { connectionRow, connectorRow, NOW } from '../store/fixtures.ts';

/**
 * Refresh edge cases that a real provider cannot stage on demand (security-checklist R5, R6, R8,
 * O12): the token endpoint is a scripted stand-in; the store and vault are real.
 */

let store: Store;
let cleanup: () => Promise<void>;
const vault = new Vault(loadKeyring({ encryptionKey: randomBytes(32).toString('base64'), dataDir: '/nonexistent' }));
let now = NOW;
let refreshImpl: (previous: OAuthCredentials) => Promise<TokenSet>;
let refreshCalls = 0;
const fakeClient = { refresh: (previous: OAuthCredentials) => (refreshCalls++, refreshImpl(previous)) } as unknown as OAuthClient;
const connection = { row: { name: 'c' } } as unknown as LoadedConnection;

const orphans: Array<{ accountId: string; accessToken: string }> = [];

function refresher(owner?: { clientFor?: () => OAuthClient }) {
  return new TokenRefresher({
    orphaned: async (accountId, _connection, credentials) => {
      orphans.push({ accountId, accessToken: credentials.access_token });
    },
    store,
    vault,
    clock: () => now,
    changes: new ChangeFeed(),
    clientFor: owner?.clientFor ?? (() => fakeClient),
    loadConnection: async () => connection,
    windowMs: 60_000,
    leaseMs: 30_000,
  });
}

const tokens = (access: string, refresh = `rt-${access}`): TokenSet => ({
  credentials: { access_token: access, refresh_token: refresh, token_type: 'bearer', obtained_at: now },
  expiresAt: now + 3_600_000,
  scope: 'read',
});

let accountId: string;
const target = () => ({ accountId, connectionName: 'c', identifier: 'u' });

async function seedAccount(expiresAt: number): Promise<void> {
  accountId = `ca_${randomBytes(6).toString('hex')}`;
  await store.accounts.insert({
    id: accountId,
    connection_id: 'conn_1',
    identifier: accountId,
    status: 'ACTIVE',
    authorization_type: 'OAUTH',
    credentials: vault.encryptJson({ access_token: 'old-at', refresh_token: 'old-rt', token_type: 'bearer', obtained_at: NOW - 3_600_000 }, credentialsBinding(accountId)),
    api_config: '{}',
    credentials_version: 1,
    token_expires_at: expiresAt,
    last_used_at: null,
    status_updated_at: NOW,
    created_at: NOW,
    updated_at: NOW,
  });
}

before(async () => {
  ({ store, cleanup } = await createTestStore('sqlite'));
  await store.connectors.insert(connectorRow({ id: 'prov_1', identifier: 'p' }));
  await store.connections.insert(connectionRow('prov_1', { id: 'conn_1', name: 'c' }));
});
after(() => cleanup());
beforeEach(async () => {
  now = NOW;
  refreshCalls = 0;
  orphans.length = 0;
  await seedAccount(NOW - 1);
});

describe('TokenRefresher', () => {
  test('refreshes an expired token once for many concurrent callers and stores the rotation', async () => {
    refreshImpl = async () => tokens('new-at', 'new-rt');
    const r = refresher();
    const results = await Promise.all(Array.from({ length: 20 }, () => r.ensureFresh(target())));
    assert.equal(refreshCalls, 1);
    assert.ok(results.every((t) => t.accessToken === 'new-at'));
    const row = await store.accounts.findById(accountId);
    assert.equal(vault.decryptJson<OAuthCredentials>(row!.credentials!, credentialsBinding(accountId)).refresh_token, 'new-rt');
    assert.equal(row!.refresh_owner, null, 'the lease is released');
    assert.equal(r.inFlight, 0);
  });

  test('a token that is not expiring is returned without a call', async () => {
    await seedAccount(NOW + 3_600_000);
    const fresh = await refresher().ensureFresh(target());
    assert.equal(fresh.accessToken, 'old-at');
    assert.equal(refreshCalls, 0);
  });

  test('waits for another holder of the lease and uses its result instead of refreshing (R2)', async () => {
    assert.ok(await store.accounts.claimRefreshLease(accountId, 'other-instance', now, now + 30_000));
    setTimeout(async () => {
      await store.accounts.writeRefreshedCredentials(accountId, 'other-instance', 1, {
        credentials: vault.encryptJson(tokens('sibling-at').credentials, credentialsBinding(accountId)),
        token_expires_at: now + 3_600_000,
        granted_scopes: 'read',
        now,
      });
    }, 50);
    const fresh = await refresher().ensureFresh(target());
    assert.equal(fresh.accessToken, 'sibling-at');
    assert.equal(refreshCalls, 0);
  });

  test('invalid_grant after a sibling rotated the token uses the sibling tokens, not EXPIRED (R5)', async () => {
    refreshImpl = async () => {
      // The sibling's write lands while our request is in flight.
      await store.accounts.writeCredentials(accountId, 1, {
        credentials: vault.encryptJson(tokens('sibling-at').credentials, credentialsBinding(accountId)),
        api_config: '{}',
        status: 'ACTIVE',
        token_expires_at: now + 3_600_000,
        now,
      });
      throw new ToolproxyError('ACCOUNT_EXPIRED', { details: { error: 'invalid_grant' } });
    };
    const fresh = await refresher().ensureFresh(target());
    assert.equal(fresh.accessToken, 'sibling-at');
    assert.equal((await store.accounts.findById(accountId))!.status, 'ACTIVE');
  });

  test('invalid_grant with nothing newer stored marks the account EXPIRED', async () => {
    refreshImpl = async () => {
      throw new ToolproxyError('ACCOUNT_EXPIRED', { details: { error: 'invalid_grant' } });
    };
    await assert.rejects(refresher().ensureFresh(target()), (e) => e instanceof ToolproxyError && e.code === 'ACCOUNT_EXPIRED');
    const row = await store.accounts.findById(accountId);
    assert.equal(row!.status, 'EXPIRED');
    assert.equal(row!.refresh_owner, null);
  });

  test('a transient token-endpoint failure leaves the account ACTIVE and the lease free (O12)', async () => {
    refreshImpl = async () => {
      throw new ToolproxyError('OAUTH_PROVIDER_UNAVAILABLE');
    };
    await assert.rejects(refresher().ensureFresh(target()), (e) => e instanceof ToolproxyError && e.code === 'OAUTH_PROVIDER_UNAVAILABLE');
    const row = await store.accounts.findById(accountId);
    assert.equal(row!.status, 'ACTIVE');
    assert.equal(row!.refresh_owner, null);
  });

  test('an account deleted during the refresh is not resurrected (R6)', async () => {
    let release!: () => void;
    refreshImpl = () => new Promise((resolve) => (release = () => resolve(tokens('late-at'))));
    const pending = refresher().ensureFresh(target());
    while (!release) await new Promise((r) => setTimeout(r, 5));
    assert.ok(await store.accounts.delete(accountId));
    release();
    await assert.rejects(pending, (e) => e instanceof ToolproxyError && e.code === 'ACCOUNT_NOT_FOUND');
    assert.equal(await store.accounts.findById(accountId), undefined);
    assert.deepEqual(orphans, [{ accountId, accessToken: 'late-at' }], 'the tokens the provider issued meanwhile are handed over for revocation');
  });

  test('an account disconnected during the refresh keeps no tokens, and the new ones are handed over for revocation', async () => {
    let release!: () => void;
    refreshImpl = () => new Promise((resolve) => (release = () => resolve(tokens('late-at-2'))));
    const pending = refresher().ensureFresh(target());
    while (!release) await new Promise((r) => setTimeout(r, 5));
    assert.ok(await store.accounts.disconnect(accountId, 1, now));
    release();
    await assert.rejects(pending, (e) => e instanceof ToolproxyError && e.code === 'ACCOUNT_DISCONNECTED');
    const row = await store.accounts.findById(accountId);
    assert.equal(row?.status, 'DISCONNECTED');
    assert.equal(row?.credentials, null, 'the late tokens were not written');
    assert.deepEqual(orphans, [{ accountId, accessToken: 'late-at-2' }]);
  });

  test('a newer credential write during the refresh wins, and its tokens are left alone', async () => {
    let release!: () => void;
    refreshImpl = () => new Promise((resolve) => (release = () => resolve(tokens('late-at-3'))));
    const pending = refresher().ensureFresh(target());
    while (!release) await new Promise((r) => setTimeout(r, 5));
    const newer = vault.encryptJson({ access_token: 'user-reauthorized', refresh_token: 'rt-new', token_type: 'bearer', obtained_at: now }, credentialsBinding(accountId));
    assert.ok(await store.accounts.writeCredentials(accountId, 1, { credentials: newer, api_config: '{}', status: 'ACTIVE', token_expires_at: now + 3_600_000, now }));
    release();
    assert.equal((await pending).accessToken, 'user-reauthorized');
    assert.deepEqual(orphans, [], 'not revoked: it may share the grant the user just renewed');
  });

  test('an exception inside a refresh leaves nothing behind, and the next call starts afresh (R8)', async () => {
    const r = refresher({
      clientFor: () => {
        throw new ToolproxyError('CREDENTIALS_UNREADABLE');
      },
    });
    await assert.rejects(r.ensureFresh(target()));
    assert.equal(r.inFlight, 0);
    assert.equal((await store.accounts.findById(accountId))!.refresh_owner, null);
    refreshImpl = async () => tokens('after-at');
    assert.equal((await refresher().ensureFresh(target())).accessToken, 'after-at');
  });

  test('with a rejected access token, refreshes only if that token is still the stored one', async () => {
    await seedAccount(NOW + 3_600_000);
    refreshImpl = async () => tokens('renewed-at');
    assert.equal((await refresher().ensureFresh(target(), 'some-older-token')).accessToken, 'old-at');
    assert.equal(refreshCalls, 0);
    assert.equal((await refresher().ensureFresh(target(), 'old-at')).accessToken, 'renewed-at');
    assert.equal(refreshCalls, 1);
  });
});

describe('isExpiring', () => {
  test('uses the window, capped at half the token lifetime; unknown expiry never expires', () => {
    const issued = { obtained_at: 0 };
    assert.equal(isExpiring(issued, null, 10_000_000, 60_000), false);
    assert.equal(isExpiring(issued, 3_600_000, 3_600_000 - 61_000, 60_000), false);
    assert.equal(isExpiring(issued, 3_600_000, 3_600_000 - 59_000, 60_000), true);
    // A 60-second token with a 5-minute window: refresh after 30 s, not on every call.
    assert.equal(isExpiring(issued, 60_000, 20_000, 300_000), false);
    assert.equal(isExpiring(issued, 60_000, 31_000, 300_000), true);
  });
});
