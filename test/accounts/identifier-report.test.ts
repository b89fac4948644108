import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { withTestDatabases } from '../helpers/databases.ts';
import { startTestServer } from '../helpers/server.ts';

/**
 * Accounts made before identifiers were checked may hold `"bob "`: the proxy can never route to
 * them (HTTP trims header values). A start reports them, with their ids and count only.
 */

const databases = await withTestDatabases();

for (const database of databases) {
  describe(`start-up report of unroutable identifiers on ${database.name}`, () => {
    after(() => database.cleanup());

    test('a start warns with the count and ids of accounts whose identifier has surrounding whitespace or control characters, never the identifiers', async () => {
      const env = { TOOLPROXY_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
      const first = await startTestServer({ database, env });
      const connector = await first.api('POST', '/api/v1/custom-providers', {
        display_name: 'Legacy API',
        proxy_url: 'https://legacy.example/api',
        auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', label: 'Token', input_type: 'password', required: true }] }],
      });
      await first.api('POST', '/api/v1/connections', { name: 'legacy', connector: connector.body.provider.identifier });
      const { connection_id } = (await first.api('POST', '/api/v1/connected_accounts', { connection_name: 'legacy', identifier: 'clean-user' })).body.connected_account;
      // As an older server stored them: written past today's checks.
      const legacy = ['trailing-space-user ', ' leading-space-user', 'nbsp-user\u00a0', 'c1-\u0085-user'];
      const ids: string[] = [];
      for (const [i, identifier] of legacy.entries()) {
        const id = `ca_legacy${i}`;
        ids.push(id);
        const now = Date.now();
        await first.server.store.accounts.insert({
          id, connection_id, identifier, status: 'PENDING_AUTH', authorization_type: 'BEARER', credentials: null, api_config: '{}',
          credentials_version: 0, token_expires_at: null, last_used_at: null, status_updated_at: now, created_at: now, updated_at: now,
        });
      }
      assert.equal(first.logs.filter((line) => line.includes('calls cannot reach them')).length, 0, 'nothing to report at the first start');
      await first.close();

      const second = await startTestServer({ database, env });
      try {
        const warnings = second.logs.filter((line) => line.includes('calls cannot reach them')).map((line) => JSON.parse(line));
        assert.equal(warnings.length, 1);
        assert.equal(warnings[0].level, 40, 'a warning');
        assert.equal(warnings[0].count, legacy.length);
        assert.deepEqual([...warnings[0].accounts].sort(), ids);
        const text = JSON.stringify(warnings);
        for (const identifier of legacy) assert.ok(!text.includes(JSON.stringify(identifier).slice(1, -1)), 'identifiers are not logged');
        assert.ok(!text.includes('clean-user'));
        // They can still be reached by id, to be deleted.
        assert.equal((await second.api('DELETE', `/api/v1/connected_accounts/${ids[0]}`)).status, 204);
      } finally {
        await second.close();
      }
    });
  });
}
