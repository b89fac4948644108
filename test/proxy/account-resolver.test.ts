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

  test("a cold start's concurrent first calls on one connection read its connection and connector once", async () => {
    const identifiers = Array.from({ length: 20 }, (_, i) => `cold_${i}`);
    for (const identifier of identifiers) await addAccount(connectionId, identifier, `sk_${identifier}`);
    const reads = { connection: 0, connector: 0 };
    const counted = {
      ...store,
      connections: { ...store.connections, findByName: (name: string) => (reads.connection++, store.connections.findByName(name)) },
      connectors: { ...store.connectors, find: (id: string) => (reads.connector++, store.connectors.find(id)) },
    } as Store;
    const changes = new ChangeFeed();
    const resolver = new AccountResolver({ store: counted, vault, clock: () => 1_000, changes, ttlMs: 60_000 });
    const resolved = await Promise.all(identifiers.map((identifier) => resolver.resolve(connectionName, identifier)));
    assert.deepEqual(resolved.map((entry) => entry.injectedHeaders['x-api-key']), identifiers.map((identifier) => `sk_${identifier}`));
    assert.deepEqual(reads, { connection: 1, connector: 1 });

    changes.configChanged();
    await resolver.resolve(connectionName, 'cold_0');
    assert.deepEqual(reads, { connection: 2, connector: 2 }, 'a config change makes the next call read the plan again');
  });

  describe('revalidation ahead of the TTL', () => {
    test('an entry in use is checked in the background and, unchanged, lives another TTL without a re-read', async () => {
      await addAccount(connectionId, 'henry', 'sk_henry');
      let now = 1_000;
      const resolver = resolverWith(new ChangeFeed(), () => now);
      const entry = await resolver.resolve(connectionName, 'henry');
      now += 44_999;
      assert.equal(resolver.peek(connectionName, 'henry'), entry);
      await resolver.revalidated();
      assert.equal(entry.staleAt, 61_000, 'before three quarters of the TTL nothing is checked');
      now += 1;
      assert.equal(resolver.peek(connectionName, 'henry'), entry, 'served at once while it is checked');
      await resolver.revalidated();
      assert.equal(entry.staleAt, now + 60_000);
      now += 30_000;
      assert.equal(resolver.peek(connectionName, 'henry'), entry, 'past the first TTL, the same entry: no re-read, no decrypt');
    });

    test('a row changed without a notification (another instance, a hand edit) is dropped and read afresh', async () => {
      const id = await addAccount(connectionId, 'iris', 'sk_iris');
      let now = 1_000;
      const resolver = resolverWith(new ChangeFeed(), () => now);
      await resolver.resolve(connectionName, 'iris');
      await store.accounts.setStatus(id, 'EXPIRED', 2_000);
      now += 50_000;
      assert.ok(resolver.peek(connectionName, 'iris'));
      await resolver.revalidated();
      assert.equal(resolver.peek(connectionName, 'iris'), undefined);
      assert.equal((await resolver.resolve(connectionName, 'iris')).status, 'EXPIRED');
    });

    test('a deleted account and a disabled connection are seen the same way', async () => {
      const connector = connectorRow({ definition: apiKeyDefinition('https://api.acme.example/v1') });
      await store.connectors.insert(connector);
      const connection = connectionRow(connector.id);
      await store.connections.insert(connection);
      const gone = await addAccount(connection.id, 'jack', 'sk_jack');
      await addAccount(connection.id, 'kate', 'sk_kate');
      let now = 1_000;
      const resolver = resolverWith(new ChangeFeed(), () => now);
      await resolver.resolve(connection.name, 'jack');
      await resolver.resolve(connection.name, 'kate');
      await store.accounts.delete(gone);
      await store.connections.update(connection.id, { enabled: 0, updated_at: 2_000 });
      now += 50_000;
      resolver.peek(connection.name, 'jack');
      resolver.peek(connection.name, 'kate');
      await resolver.revalidated();
      assert.equal(resolver.peek(connection.name, 'jack'), undefined);
      assert.equal(resolver.peek(connection.name, 'kate'), undefined);
      await assert.rejects(resolver.resolve(connection.name, 'jack'), { code: 'ACCOUNT_NOT_FOUND' });
      assert.equal((await resolver.resolve(connection.name, 'kate')).connectionEnabled, false, 'the connection is read again too');
    });

    test('an answer that may predate a change does not extend anything', async () => {
      await addAccount(connectionId, 'liam', 'sk_liam');
      let now = 1_000;
      const changes = new ChangeFeed();
      const resolver = resolverWith(changes, () => now);
      const entry = await resolver.resolve(connectionName, 'liam');
      const versions = store.accounts.versions;
      store.accounts.versions = async (ids) => {
        const answer = await versions(ids);
        changes.accountChanged(connectionName, 'someone-else');
        return answer;
      };
      try {
        now += 50_000;
        resolver.peek(connectionName, 'liam');
        await resolver.revalidated();
      } finally {
        store.accounts.versions = versions;
      }
      assert.equal(entry.staleAt, 61_000, 'not extended');
      assert.equal(resolver.peek(connectionName, 'liam'), entry, 'still served until its TTL');
      await resolver.revalidated();
      assert.equal(entry.staleAt, now + 60_000, 'queued again on its next use, and extended then');
    });
  });

  describe('by connected account id (tools)', () => {
    /** The store with its account and connection reads counted. */
    const countingStore = () => {
      const reads = { accountById: 0, accountByKey: 0, connectionById: 0 };
      const counted = {
        ...store,
        accounts: {
          ...store.accounts,
          findById: (id: string) => (reads.accountById++, store.accounts.findById(id)),
          findByKey: (connection: string, identifier: string) => (reads.accountByKey++, store.accounts.findByKey(connection, identifier)),
        },
        connections: { ...store.connections, findById: (id: string) => (reads.connectionById++, store.connections.findById(id)) },
      } as Store;
      return { counted, reads };
    };

    test('the first call reads the account row once; from then on the id is a synchronous cache hit (no SQL, no decrypt)', async () => {
      const id = await addAccount(connectionId, 'mia', 'sk_mia');
      const { counted, reads } = countingStore();
      const resolver = new AccountResolver({ store: counted, vault, clock: () => 1_000, changes: new ChangeFeed(), ttlMs: 60_000 });
      assert.equal(resolver.peekById(id), undefined);
      const entry = await resolver.resolveById(id);
      assert.equal(entry.accountId, id);
      assert.deepEqual(entry.injectedHeaders, { 'x-api-key': 'sk_mia' });
      assert.deepEqual(reads, { accountById: 1, accountByKey: 1, connectionById: 1 });
      for (let i = 0; i < 3; i++) assert.equal(resolver.peekById(id), entry, 'the very cached object, returned synchronously');
      assert.equal(resolver.peek(connectionName, 'mia'), entry, 'one entry, reachable by key and by id');
      assert.deepEqual(reads, { accountById: 1, accountByKey: 1, connectionById: 1 });
    });

    test('an account already warm by key is not decrypted again when first called by id', async () => {
      const id = await addAccount(connectionId, 'noah', 'sk_noah');
      const { counted, reads } = countingStore();
      const resolver = new AccountResolver({ store: counted, vault, clock: () => 1_000, changes: new ChangeFeed(), ttlMs: 60_000 });
      const byKey = await resolver.resolve(connectionName, 'noah');
      assert.equal(resolver.peekById(id), undefined, 'the id index is filled only by calls routed by id');
      assert.equal(await resolver.resolveById(id), byKey, 'the cached entry, not a second decrypt');
      assert.deepEqual(reads, { accountById: 1, accountByKey: 1, connectionById: 1 });
    });

    test('a change drops the entry from the id index too; a config change drops everything', async () => {
      const id = await addAccount(connectionId, 'olga', 'sk_olga');
      const changes = new ChangeFeed();
      const resolver = resolverWith(changes);
      await resolver.resolveById(id);
      changes.accountChanged(connectionName, 'olga');
      assert.equal(resolver.peekById(id), undefined);
      await resolver.resolveById(id);
      changes.configChanged();
      assert.equal(resolver.peekById(id), undefined);
    });

    test('an unknown id, and the id of an account deleted and created again under its key, are ACCOUNT_NOT_FOUND', async () => {
      const resolver = resolverWith();
      await assert.rejects(resolver.resolveById('ca_does_not_exist'), { code: 'ACCOUNT_NOT_FOUND', details: { connected_account_id: 'ca_does_not_exist' } });
      const old = await addAccount(connectionId, 'pia', 'sk_pia');
      await resolver.resolveById(old);
      await store.accounts.delete(old);
      const replacement = await addAccount(connectionId, 'pia', 'sk_pia_2');
      const changes = new ChangeFeed();
      const fresh = resolverWith(changes);
      assert.equal((await fresh.resolveById(replacement)).accountId, replacement);
      await assert.rejects(fresh.resolveById(old), { code: 'ACCOUNT_NOT_FOUND' });
    });
  });

  test('unknown connection and account names are refused with their codes', async () => {
    const resolver = resolverWith();
    await assert.rejects(resolver.resolve('no-such-connection', 'alice'), { code: 'CONNECTION_NOT_FOUND' });
    await assert.rejects(resolver.resolve(connectionName, 'nobody'), { code: 'ACCOUNT_NOT_FOUND' });
  });
});
