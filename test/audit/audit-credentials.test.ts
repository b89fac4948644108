import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { credentialsBinding } from '../../src/accounts/accounts-service.ts';
import { RevocationQueue } from '../../src/accounts/revocation-queue.ts';
import { TokenRefresher } from '../../src/accounts/token-refresher.ts';
import { auditRepository } from '../../src/audit/audit-repository.ts';
import { AuditTrail } from '../../src/audit/audit-trail.ts';
import type { OAuthClient } from '../../src/auth/oauth/oauth-client.ts';
import type { OAuthCredentials, TokenSet } from '../../src/auth/oauth/token-set.ts';
import { ChangeFeed } from '../../src/changes.ts';
import type { LoadedConnection } from '../../src/connections/connections-service.ts';
import { ToolproxyError } from '../../src/errors.ts';
import type { AccountRow } from '../../src/store/schema.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { loadKeyring } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { connectionRow, connectorRow, NOW } from '../store/fixtures.ts';

/**
 * Credential uses outside the proxy: each call to the token endpoint (refresh) and each finished
 * revocation leaves one audit entry with its outcome, and neither holds a token. The token and
 * revocation endpoints are scripted stand-ins (a provider cannot fail on demand); store and vault are real.
 */

const databases = await withTestDatabases();
const vault = new Vault(loadKeyring({ encryptionKey: randomBytes(32).toString('base64'), dataDir: '/nonexistent' }));
const CANARY = `CANARY${randomBytes(6).toString('hex')}`;

for (const database of databases) {
  describe(`credential audit entries on ${database.name}`, () => {
    let store: Store;
    let audit: AuditTrail;
    let now = NOW;
    let refreshImpl: (previous: OAuthCredentials) => Promise<TokenSet>;
    let revokeImpl: () => Promise<boolean>;
    const client = {
      refresh: (previous: OAuthCredentials) => refreshImpl(previous),
      revoke: () => revokeImpl(),
    } as unknown as OAuthClient;
    const connection = {
      row: { id: 'conn_1', name: 'c' },
      connector: { pattern: { type: 'OAUTH', oauth_config: { revoke_uri: 'https://as.example/revoke' } } },
    } as unknown as LoadedConnection;

    async function seedAccount(): Promise<AccountRow> {
      const id = `ca_${randomBytes(6).toString('hex')}`;
      const row: AccountRow = {
        id,
        connection_id: 'conn_1',
        identifier: id,
        status: 'ACTIVE',
        authorization_type: 'OAUTH',
        credentials: vault.encryptJson({ access_token: `${CANARY}-at`, refresh_token: `${CANARY}-rt`, token_type: 'bearer', obtained_at: NOW - 3_600_000 }, credentialsBinding(id)),
        api_config: '{}',
        credentials_version: 1,
        token_expires_at: NOW + 1_000,
        last_used_at: null,
        status_updated_at: NOW,
        created_at: NOW,
        updated_at: NOW,
      } as AccountRow;
      await store.accounts.insert(row);
      return (await store.accounts.findById(id))!;
    }

    before(async () => {
      store = await openStore(database.options);
      await store.connectors.insert(connectorRow({ id: 'prov_1', identifier: 'p' }));
      await store.connections.insert(connectionRow('prov_1', { id: 'conn_1', name: 'c' }));
      audit = new AuditTrail({ repository: auditRepository(store.db, store.dialect), clock: () => now, log: { warn: () => undefined, error: () => undefined }, options: { flushIntervalMs: 3_600_000 } });
    });
    after(async () => {
      await audit.close();
      await store.close();
      await database.cleanup();
    });

    const entries = async () => {
      await audit.flush();
      return audit.repository.range(0, Number.MAX_SAFE_INTEGER, 0, 10_000);
    };

    test('a refresh, successful or refused by the provider, leaves one credentials.refresh entry each', async () => {
      const refresher = new TokenRefresher({
        store, vault, clock: () => now, changes: new ChangeFeed(), clientFor: () => client, loadConnection: async () => connection, windowMs: 60_000, leaseMs: 30_000, audit,
      });
      const good = await seedAccount();
      refreshImpl = async () => ({ credentials: { access_token: `${CANARY}-new`, refresh_token: `${CANARY}-rt2`, token_type: 'bearer', obtained_at: now }, expiresAt: now + 3_600_000, scope: 'read' });
      // Two concurrent callers share one refresh: one call to the token endpoint, one entry.
      await Promise.all([refresher.ensureFresh({ accountId: good.id, connectionName: 'c', identifier: good.identifier }), refresher.ensureFresh({ accountId: good.id, connectionName: 'c', identifier: good.identifier })]);
      // Fresh now: no call to the token endpoint, no entry.
      await refresher.ensureFresh({ accountId: good.id, connectionName: 'c', identifier: good.identifier });
      const bad = await seedAccount();
      refreshImpl = async () => {
        throw new ToolproxyError('ACCOUNT_EXPIRED');
      };
      await assert.rejects(refresher.ensureFresh({ accountId: bad.id, connectionName: 'c', identifier: bad.identifier }), /expired|revoked/i);
      const refreshes = (await entries()).filter((e) => e.action === 'credentials.refresh');
      assert.deepEqual(
        refreshes.map((e) => [e.target_id, e.outcome, e.actor_type]),
        [[good.id, 'ok', 'system'], [bad.id, 'ACCOUNT_EXPIRED', 'system']],
      );
    });

    test('a revocation leaves one credentials.revoke entry when it is done or abandoned, not one per retry', async () => {
      const queue = new RevocationQueue({
        store, vault, clock: () => now, clientFor: () => client, loadConnection: async () => connection,
        log: { info: () => undefined, warn: () => undefined, error: () => undefined },
        options: { baseDelayMs: 1_000, maxDelayMs: 1_000, maxAttempts: 2, leaseMs: 10_000 },
        audit,
      });
      const before = (await entries()).length;
      const done = await seedAccount();
      const abandoned = await seedAccount();
      revokeImpl = async () => true;
      await store.tokenRevocations.insert(queue.plan(done, connection)!);
      await queue.runDue();
      revokeImpl = async () => {
        throw new ToolproxyError('OAUTH_PROVIDER_UNAVAILABLE');
      };
      await store.tokenRevocations.insert(queue.plan(abandoned, connection)!);
      await queue.runDue();
      now += 2_000;
      await queue.runDue();
      const all = await entries();
      const revokes = all.slice(before).filter((e) => e.action === 'credentials.revoke');
      assert.deepEqual(revokes.map((e) => [e.target_id, e.outcome]), [[done.id, 'ok'], [abandoned.id, 'OAUTH_PROVIDER_UNAVAILABLE']]);
      assert.deepEqual(JSON.parse(revokes[1]!.details!).attempts, 2);
      assert.ok(!JSON.stringify(all).includes(CANARY), 'no token in any entry');
      assert.equal((await audit.verify()).ok, true);
    });
  });
}
