import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { credentialsBinding } from '../../src/accounts/accounts-service.ts';
import { ChangeFeed } from '../../src/changes.ts';
import { AccountResolver } from '../../src/proxy/account-resolver.ts';
import type { Store } from '../../src/store/store.ts';
import { loadKeyring } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { createTestStore } from '../helpers/databases.ts';
import { accountRow, connectionRow, connectorRow } from '../store/fixtures.ts';

const vault = new Vault(loadKeyring({ encryptionKey: randomBytes(32).toString('base64'), dataDir: '/nonexistent' }));
const apiKeyDefinition = (proxyUrl: string) =>
  JSON.stringify({
    display_name: 'Acme',
    proxy_url: proxyUrl,
    auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }], auth_header_key_override: 'X-API-Key' }],
  });

describe('AccountResolver', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let connectionName: string;
  let connectionId: string;
  let templatedName: string;
  let templatedId: string;

  before(async () => {
    ({ store, cleanup } = await createTestStore('sqlite'));
    for (const [proxyUrl, assign] of [
      ['https://api.acme.example/v1', (name: string, id: string) => ((connectionName = name), (connectionId = id))],
      ['https://{{tenant}}.acme.example/v1', (name: string, id: string) => ((templatedName = name), (templatedId = id))],
    ] as const) {
      const connector = connectorRow({ definition: apiKeyDefinition(proxyUrl) });
      await store.connectors.insert(connector);
      const connection = connectionRow(connector.id);
      await store.connections.insert(connection);
      assign(connection.name, connection.id);
    }
  });
  after(() => cleanup());

  async function addAccount(connection: string, identifier: string, apiKey: string, apiConfig: Record<string, string> = {}) {
    const row = accountRow(connection, identifier, { status: 'ACTIVE', api_config: JSON.stringify(apiConfig), credentials_version: 1 });
    row.credentials = vault.encryptJson({ api_key: apiKey }, credentialsBinding(row.id));
    await store.accounts.getOrCreate(row);
    return row.id;
  }

  const resolverWith = (changes = new ChangeFeed(), clock = () => 1_000) => new AccountResolver({ store, vault, clock, changes, ttlMs: 60_000 });

  test('a resolved account is served from memory afterwards, and accounts of one connection share its target and header names', async () => {
    await addAccount(connectionId, 'alice', 'sk_alice');
    await addAccount(connectionId, 'bob', 'sk_bob');
    const resolver = resolverWith();
    assert.equal(resolver.peek(connectionName, 'alice'), undefined, 'nothing cached before the first resolve');
    const alice = await resolver.resolve(connectionName, 'alice');
    const bob = await resolver.resolve(connectionName, 'bob');
    assert.equal(resolver.peek(connectionName, 'alice'), alice);
    assert.deepEqual(alice.target, { origin: 'https://api.acme.example', basePath: '/v1' });
    assert.equal(alice.target, bob.target, 'one target object for the connection');
    assert.equal(alice.droppedHeaders, bob.droppedHeaders);
    assert.deepEqual(alice.injectedHeaders, { 'x-api-key': 'sk_alice' });
    assert.deepEqual(bob.injectedHeaders, { 'x-api-key': 'sk_bob' });
  });

  test('a templated proxy_url gives each account its own target (P3)', async () => {
    await addAccount(templatedId, 'carol', 'sk_carol', { tenant: 'carol' });
    await addAccount(templatedId, 'dave', 'sk_dave', { tenant: 'dave' });
    const resolver = resolverWith();
    assert.equal((await resolver.resolve(templatedName, 'carol')).target?.origin, 'https://carol.acme.example');
    assert.equal((await resolver.resolve(templatedName, 'dave')).target?.origin, 'https://dave.acme.example');
  });

  test('an entry goes stale after the TTL and is re-read', async () => {
    await addAccount(connectionId, 'erin', 'sk_erin');
    let now = 1_000;
    const resolver = resolverWith(new ChangeFeed(), () => now);
    const first = await resolver.resolve(connectionName, 'erin');
    now += 59_999;
    assert.equal(resolver.peek(connectionName, 'erin'), first);
    now += 1;
    assert.equal(resolver.peek(connectionName, 'erin'), undefined);
  });

  test('a change drops the entry at once; a config change drops everything', async () => {
    await addAccount(connectionId, 'frank', 'sk_frank');
    const changes = new ChangeFeed();
    const resolver = resolverWith(changes);
    await resolver.resolve(connectionName, 'frank');
    await resolver.resolve(connectionName, 'alice');
    changes.accountChanged(connectionName, 'frank');
    assert.equal(resolver.peek(connectionName, 'frank'), undefined);
    assert.ok(resolver.peek(connectionName, 'alice'), 'other accounts stay');
    changes.configChanged();
    assert.equal(resolver.peek(connectionName, 'alice'), undefined);
  });

  test('a load that read the old row before a change is returned but not cached', async () => {
    const id = await addAccount(connectionId, 'grace', 'sk_old');
    const changes = new ChangeFeed();
    const resolver = resolverWith(changes);
    const loading = resolver.resolve(connectionName, 'grace');
    // The write lands and is announced while the load is in flight (it may have read the old row).
    const written = await store.accounts.writeCredentials(id, 1, {
      credentials: vault.encryptJson({ api_key: 'sk_new' }, credentialsBinding(id)),
      api_config: '{}',
      status: 'ACTIVE',
      token_expires_at: null,
      now: 2_000,
    });
    assert.ok(written);
    changes.accountChanged(connectionName, 'grace');
    await loading;
    assert.equal(resolver.peek(connectionName, 'grace'), undefined, 'the possibly stale result was not cached');
    const fresh = await resolver.resolve(connectionName, 'grace');
    assert.deepEqual(fresh.injectedHeaders, { 'x-api-key': 'sk_new' });
    assert.equal(resolver.peek(connectionName, 'grace'), fresh);
  });

  test('unknown connection and account names are refused with their codes', async () => {
    const resolver = resolverWith();
    await assert.rejects(resolver.resolve('no-such-connection', 'alice'), { code: 'CONNECTION_NOT_FOUND' });
    await assert.rejects(resolver.resolve(connectionName, 'nobody'), { code: 'ACCOUNT_NOT_FOUND' });
  });
});
