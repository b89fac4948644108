import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { McpConfigRow } from '../../src/store/schema.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { newId, NOW } from './fixtures.ts';

const databases = await withTestDatabases();

for (const database of databases) {
  describe(`MCP configs and the MCP authorization server's state on ${database.name}`, () => {
    let store: Store;
    before(async () => {
      store = await openStore(database.options);
    });
    after(async () => {
      await store?.close();
      await database.cleanup();
    });

    const config = (name: string): McpConfigRow => ({
      id: newId('mcp'),
      name,
      description: '',
      mappings: '[]',
      user_verify_url: null,
      created_at: NOW,
      updated_at: NOW,
    });

    test('config names are unique, on insert and on rename', async () => {
      const first = config('alpha');
      assert.equal(await store.mcpConfigs.insert(first), true);
      assert.equal(await store.mcpConfigs.insert({ ...config('alpha') }), false);
      const second = config('beta');
      await store.mcpConfigs.insert(second);
      const patch = { name: 'alpha', description: 'x', mappings: '[]', user_verify_url: null, updated_at: NOW + 1 };
      assert.equal(await store.mcpConfigs.update(second.id, patch), 'name_taken');
      assert.equal(await store.mcpConfigs.update(second.id, { ...patch, name: 'gamma' }), 'updated');
      assert.equal(await store.mcpConfigs.update('mcp_missing', { ...patch, name: 'delta' }), 'not_found');
      assert.equal((await store.mcpConfigs.findById(second.id))?.name, 'gamma');
    });

    test('deleting a config deletes its grants and their refresh tokens', async () => {
      const row = config('doomed');
      await store.mcpConfigs.insert(row);
      const grant = { id: newId('mcg'), client_id: 'c', config_id: row.id, identifier: 'u', scope: 'tools:read', created_at: NOW, revoked_at: null };
      await store.mcpAuthorization.insertGrant(grant);
      await store.mcpAuthorization.insertRefreshToken({ token_hash: newId('rt'), grant_id: grant.id, created_at: NOW, expires_at: NOW + 1000, rotated_at: null });
      assert.equal(await store.mcpConfigs.delete(row.id), true);
      assert.equal(await store.mcpAuthorization.findGrant(grant.id), undefined);
      assert.equal(await store.mcpConfigs.delete(row.id), false);
    });

    async function request(overrides: Partial<Record<string, unknown>> = {}) {
      const row = {
        id: newId('mar'),
        client_id: 'tpmc_client',
        redirect_uri: 'http://127.0.0.1:9/cb',
        code_challenge: 'challenge',
        scope: 'tools:read tools:call',
        config_id: 'mcp_x',
        state: null,
        browser_binding_hash: newId('bb'),
        auth_request_hash: newId('ar'),
        identifier: null,
        verified_at: null,
        code_hash: null,
        code_expires_at: null,
        code_used_at: null,
        grant_id: null,
        expires_at: NOW + 600_000,
        created_at: NOW,
        ...overrides,
      };
      await store.mcpAuthorization.insertRequest(row as never);
      return row;
    }

    test('a request is verified once, gets one code, and the code is taken once by 10 concurrent callers', async () => {
      const row = await request();
      assert.equal(await store.mcpAuthorization.issueCode(row.id, 'code-hash-0', NOW + 60_000, NOW), false, 'no code before verification');
      const verified = await Promise.all(Array.from({ length: 5 }, (_, i) => store.mcpAuthorization.verifyRequest(row.id, `user${i}`, NOW)));
      assert.equal(verified.filter(Boolean).length, 1);
      assert.equal(await store.mcpAuthorization.issueCode(row.id, 'code-hash-1', NOW + 60_000, NOW), true);
      assert.equal(await store.mcpAuthorization.issueCode(row.id, 'code-hash-2', NOW + 60_000, NOW), false, 'one code per request');
      assert.equal((await store.mcpAuthorization.findRequestByCodeHash('code-hash-1'))?.id, row.id);
      const taken = await Promise.all(Array.from({ length: 10 }, () => store.mcpAuthorization.takeCode(row.id, NOW + 1)));
      assert.equal(taken.filter(Boolean).length, 1);
    });

    test('an expired code or request cannot be used', async () => {
      const row = await request({ expires_at: NOW + 100 });
      assert.equal(await store.mcpAuthorization.verifyRequest(row.id, 'u', NOW + 100), false);
      const live = await request();
      await store.mcpAuthorization.verifyRequest(live.id, 'u', NOW);
      await store.mcpAuthorization.issueCode(live.id, 'code-hash-expiring', NOW + 60_000, NOW);
      assert.equal(await store.mcpAuthorization.takeCode(live.id, NOW + 60_000), false);
      assert.equal(await store.mcpAuthorization.deleteExpiredRequests(NOW + 200), 1);
    });

    test('a refresh token rotates once, and a revoked grant stays revoked', async () => {
      const grant = { id: newId('mcg'), client_id: 'c', config_id: 'mcp_x', identifier: 'u', scope: 'tools:read', created_at: NOW, revoked_at: null };
      await store.mcpAuthorization.insertGrant(grant);
      await store.mcpAuthorization.insertRefreshToken({ token_hash: 'rt-1', grant_id: grant.id, created_at: NOW, expires_at: NOW + 1000, rotated_at: null });
      const rotated = await Promise.all(Array.from({ length: 10 }, () => store.mcpAuthorization.rotateRefreshToken('rt-1', NOW + 1)));
      assert.equal(rotated.filter(Boolean).length, 1);
      assert.equal((await store.mcpAuthorization.findRefreshToken('rt-1'))?.rotated_at, NOW + 1);
      await store.mcpAuthorization.insertRefreshToken({ token_hash: 'rt-2', grant_id: grant.id, created_at: NOW, expires_at: NOW + 1000, rotated_at: null });
      assert.equal(await store.mcpAuthorization.rotateRefreshToken('rt-2', NOW + 1000), false, 'expired');
      assert.equal(await store.mcpAuthorization.revokeGrant(grant.id, NOW), true);
      assert.equal(await store.mcpAuthorization.revokeGrant(grant.id, NOW + 1), false);
      assert.equal((await store.mcpAuthorization.findGrant(grant.id))?.revoked_at, NOW);
    });

    test('registered clients are found by exact client id', async () => {
      await store.mcpAuthorization.insertClient({ client_id: 'tpmc_abc', secret_hash: null, metadata: '{"client_name":"x"}', created_at: NOW });
      assert.equal((await store.mcpAuthorization.findClient('tpmc_abc'))?.metadata, '{"client_name":"x"}');
      assert.equal(await store.mcpAuthorization.findClient('tpmc_ab'), undefined);
      assert.equal(await store.mcpAuthorization.findClient('TPMC_ABC'), undefined);
    });
  });
}
