import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { withTestDatabases } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * The account API over REST (issue 16): disconnect, search, organization/user scope, real
 * totals and page tokens, identifiers that cannot be routed, and links that retire each other.
 * On SQLite and Postgres.
 */

const databases = await withTestDatabases();

for (const database of databases) {
  describe(`connected accounts over REST on ${database.name}`, () => {
    let server: TestServer;
    let upstream: Upstream;
    let connector: string;

    const create = (identifier: string, extra: Record<string, unknown> = {}, connection = 'keys') =>
      server.api('POST', '/api/v1/connected_accounts', {
        connection_name: connection,
        identifier,
        authorization_details: { static_auth: { details: { api_key: `key-${identifier.trim()}` } } },
        ...extra,
      });
    const proxy = async (identifier: string, connection = 'keys') =>
      fetch(`${server.url}/proxy/v1/me`, { headers: { authorization: `Bearer ${await server.token()}`, connection_name: connection, identifier } });

    before(async () => {
      upstream = await startUpstream();
      server = await startTestServer({ database });
      const created = await server.api('POST', '/api/v1/custom-providers', {
        display_name: 'Keyed API',
        proxy_url: `${upstream.url}/api`,
        proxy_enabled: true,
        auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }], auth_header_key_override: 'X-API-Key' }],
      });
      connector = created.body.provider.identifier;
      for (const name of ['keys', 'other-keys']) assert.equal((await server.api('POST', '/api/v1/connections', { name, connector })).status, 201);
    });
    after(async () => {
      await server.close();
      await upstream.close();
    });

    test('an identifier with leading or trailing whitespace or a control character is refused wherever accounts are made', async () => {
      assert.equal((await create('bob')).status, 201);
      for (const identifier of ['bob ', ' bob', 'bob\t', '\u00a0bob', 'bob\u2003', '\ufeffbob', 'b\u0085ob', 'bo\nb']) {
        for (const [path, body] of [
          ['/api/v1/connected_accounts', { connection_name: 'keys', identifier, authorization_details: { static_auth: { details: { api_key: 'k' } } } }],
          ['/api/v1/connected_accounts', { connection_name: 'keys', identifier }],
          ['/api/v1/connected_accounts/get_or_create', { connection_name: 'keys', identifier }],
          ['/api/v1/connected_accounts/magic_link', { connection_name: 'keys', identifier }],
        ] as const) {
          const response = await server.api('POST', path, body);
          assert.equal(response.status, 400, `${path} ${JSON.stringify(identifier)}: ${response.text}`);
          assert.equal(response.body.error.code, 'INVALID_IDENTIFIER');
          assert.equal(response.body.error.details.field, 'identifier');
        }
      }
      const accounts = await server.api('GET', '/api/v1/connected_accounts?connection_name=keys');
      assert.deepEqual(accounts.body.connected_accounts.map((a: { identifier: string }) => a.identifier), ['bob']);
      // What the probe found: a proxied call for "bob " reaches bob, because HTTP trims it. No
      // "bob " can exist now, so there is no other account it should have reached.
      assert.equal((await proxy('bob')).status, 200);
      assert.equal(upstream.received.at(-1)?.headers['x-api-key'], 'key-bob');
    });

    test('organization_id and user_id: stored at creation, filterable, and they must match when given', async () => {
      assert.equal((await create('ann', { organization_id: 'org_1', user_id: 'usr_1' })).status, 201);
      assert.equal((await create('cid', { organization_id: 'org_2' })).status, 201);
      const ann = await server.api('GET', '/api/v1/connections/keys/connected_accounts/ann?organization_id=org_1&user_id=usr_1');
      assert.equal(ann.status, 200, ann.text);
      assert.equal(ann.body.connected_account.organization_id, 'org_1');
      assert.equal(ann.body.connected_account.user_id, 'usr_1');
      for (const query of ['organization_id=org_2', 'user_id=usr_2', 'organization_id=org_1&user_id=usr_9']) {
        const other = await server.api('GET', `/api/v1/connections/keys/connected_accounts/ann?${query}`);
        assert.equal(other.status, 404, query);
        assert.equal(other.body.error.code, 'ACCOUNT_NOT_FOUND');
        const byId = await server.api('DELETE', `/api/v1/connected_accounts/${ann.body.connected_account.id}?${query}`);
        assert.equal(byId.status, 404, 'nothing is done to an account outside the scope given');
      }
      // An account made without a scope is not in any scope.
      assert.equal((await server.api('GET', '/api/v1/connections/keys/connected_accounts/bob?organization_id=org_1')).status, 404);
      const inOrg1 = await server.api('GET', '/api/v1/connected_accounts?organization_id=org_1');
      assert.deepEqual(inOrg1.body.connected_accounts.map((a: { identifier: string }) => a.identifier), ['ann']);
      assert.equal(inOrg1.body.total_size, 1);
      const user = await server.api('GET', '/api/v1/connected_accounts?user_id=usr_1&connection_name=keys');
      assert.deepEqual(user.body.connected_accounts.map((a: { identifier: string }) => a.identifier), ['ann']);
      // Get-or-create and links find the account only in its own scope.
      const elsewhere = await server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: 'keys', identifier: 'ann', organization_id: 'org_2' });
      assert.equal(elsewhere.status, 409);
      assert.equal(elsewhere.body.error.code, 'ACCOUNT_EXISTS');
      const same = await server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: 'keys', identifier: 'ann', organization_id: 'org_1' });
      assert.equal(same.status, 200);
      assert.equal((await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'keys', identifier: 'ann', user_id: 'usr_2' })).status, 409);
      const bad = await server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: 'keys', identifier: 'dan', organization_id: ' org_1' });
      assert.equal(bad.body.error.code, 'INVALID_IDENTIFIER');
      assert.equal(bad.body.error.details.field, 'organization_id');
    });

    test('lists report total_size across pages and page with next_page_token; search finds substrings, case-insensitively', async () => {
      for (let i = 0; i < 7; i++) assert.equal((await create(`Paged-User-${i}`, {}, 'other-keys')).status, 201);
      const seen: string[] = [];
      let token: string | null = null;
      do {
        const query: string = `connection_name=other-keys&page_size=3${token ? `&page_token=${token}` : ''}`;
        const page = await server.api('GET', `/api/v1/connected_accounts?${query}`);
        assert.equal(page.status, 200, page.text);
        assert.equal(page.body.total_size, 7);
        assert.ok(page.body.connected_accounts.length <= 3);
        seen.push(...page.body.connected_accounts.map((a: { identifier: string }) => a.identifier));
        token = page.body.next_page_token;
      } while (token);
      assert.equal(new Set(seen).size, 7);

      const found = await server.api('GET', '/api/v1/connected_accounts/search?query=paged-user&page_size=5');
      assert.equal(found.status, 200, found.text);
      assert.equal(found.body.total_size, 7);
      assert.equal(found.body.connected_accounts.length, 5);
      assert.ok(found.body.next_page_token);
      const byConnection = await server.api('GET', '/api/v1/connected_accounts/search?query=OTHER-KEY');
      assert.equal(byConnection.body.total_size, 7, 'the connection name matches too');
      const byConnector = await server.api('GET', `/api/v1/connected_accounts/search?query=${connector.slice(0, 5)}`);
      assert.ok(byConnector.body.total_size >= 9, 'the connector identifier matches too');
      // LIKE wildcards in the query are text, not patterns.
      assert.equal((await server.api('GET', '/api/v1/connected_accounts/search?query=%25%25%25')).body.total_size, 0);
      assert.equal((await server.api('GET', '/api/v1/connected_accounts/search?query=___')).body.total_size, 0);
      const short = await server.api('GET', '/api/v1/connected_accounts/search?query=ab');
      assert.equal(short.status, 400);
      assert.equal(short.body.error.code, 'VALIDATION_FAILED');
      const byConnectorFilter = await server.api('GET', `/api/v1/connected_accounts?connector=${connector}&page_size=1`);
      assert.ok(byConnectorFilter.body.total_size >= 9);
      assert.equal((await server.api('GET', '/api/v1/connected_accounts?connector=no-such-connector')).body.total_size, 0);
      const connections = await server.api('GET', '/api/v1/connections?page_size=1');
      assert.ok(connections.body.total_size >= 2, connections.text);
    });

    test('disconnect: credentials deleted, the account kept DISCONNECTED, proxy calls refused with ACCOUNT_DISCONNECTED, a new link connects it again', async () => {
      assert.equal((await create('erin')).status, 201);
      const before = await server.api('GET', '/api/v1/connections/keys/connected_accounts/erin');
      const { id } = before.body.connected_account;
      // An outstanding link from before the disconnect must not reconnect it afterwards.
      const oldLink = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'keys', identifier: 'erin' });
      assert.equal((await proxy('erin')).status, 200);

      const disconnected = await server.api('POST', `/api/v1/connected_accounts/${id}/disconnect`);
      assert.equal(disconnected.status, 200, disconnected.text);
      assert.equal(disconnected.body.connected_account.status, 'DISCONNECTED');
      assert.equal(disconnected.body.connected_account.has_credentials, false);
      const row = await server.server.store.accounts.findById(id);
      assert.equal(row?.credentials, null, 'the ciphertext is gone from the store, not just hidden');
      const again = await server.api('POST', '/api/v1/connections/keys/connected_accounts/erin/disconnect');
      assert.equal(again.status, 200, 'disconnecting twice is harmless');

      const refused = await proxy('erin');
      assert.equal(refused.status, 409);
      assert.equal(refused.headers.get('x-toolproxy-error'), 'ACCOUNT_DISCONNECTED');
      const upstreamCalls = upstream.received.length;
      assert.equal((await fetch(oldLink.body.link)).status, 410, 'links from before the disconnect are retired');
      assert.equal(upstream.received.length, upstreamCalls);

      const link = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'keys', identifier: 'erin' });
      const submitted = await fetch(link.body.link, { method: 'POST', body: new URLSearchParams({ api_key: 'key-erin-2' }) });
      assert.equal(submitted.status, 200);
      assert.equal((await server.api('GET', `/api/v1/connected_accounts/${id}`)).body.connected_account.status, 'ACTIVE');
      assert.equal((await proxy('erin')).status, 200);
      assert.equal(upstream.received.at(-1)?.headers['x-api-key'], 'key-erin-2');
      assert.equal((await server.api('POST', '/api/v1/connected_accounts/ca_unknown/disconnect')).status, 404);
    });

    test('a hex, octal, short or integer IPv4 spelling in a host field is refused at submit, before the account becomes ACTIVE', async () => {
      const created = await server.api('POST', '/api/v1/custom-providers', {
        display_name: 'Per Tenant API',
        proxy_url: 'https://{{domain}}/api',
        auth_patterns: [{
          type: 'API_KEY',
          fields: [
            { field_name: 'domain', label: 'Domain', input_type: 'text', required: true },
            { field_name: 'api_key', label: 'Key', input_type: 'password', required: true },
          ],
        }],
      });
      assert.equal(created.status, 201, created.text);
      await server.api('POST', '/api/v1/connections', { name: 'tenant', connector: created.body.provider.identifier });
      for (const domain of ['0x7f000001', '0x7f.1', '127.1', '2130706433', '0177.0.0.1', '1.0x7f']) {
        const link = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'tenant', identifier: 'hal' });
        const form = await fetch(link.body.link, { method: 'POST', body: new URLSearchParams({ domain, api_key: 'k' }) });
        assert.equal(form.status, 422, domain);
        const byApi = await server.api('POST', '/api/v1/connected_accounts', {
          connection_name: 'tenant', identifier: `hal-${domain}`, authorization_details: { static_auth: { details: { domain, api_key: 'k' } } },
        });
        assert.equal(byApi.status, 422, domain);
        assert.equal(byApi.body.error.code, 'INVALID_FIELD');
        assert.deepEqual(byApi.body.error.details.problems.map((p: { path: string }) => p.path), ['/domain'], domain);
      }
      assert.equal((await server.api('GET', '/api/v1/connections/tenant/connected_accounts/hal')).body.connected_account.status, 'PENDING_AUTH');
      const ok = await server.api('POST', '/api/v1/connected_accounts', {
        connection_name: 'tenant', identifier: 'ivy', authorization_details: { static_auth: { details: { domain: 'ivy.example.com', api_key: 'k' } } },
      });
      assert.equal(ok.status, 201, ok.text);
    });

    test('a newer link retires the older one: the older can no longer replace credentials set through the newer', async () => {
      const older = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'keys', identifier: 'fay' });
      const newer = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'keys', identifier: 'fay' });
      assert.equal((await fetch(newer.body.link, { method: 'POST', body: new URLSearchParams({ api_key: 'key-newer' }) })).status, 200);
      const replaced = await fetch(older.body.link, { method: 'POST', body: new URLSearchParams({ api_key: 'key-older' }) });
      assert.equal(replaced.status, 410);
      assert.match(await replaced.text(), /newer/i);
      assert.equal((await fetch(older.body.link)).status, 410);
      assert.equal((await proxy('fay')).status, 200);
      assert.equal(upstream.received.at(-1)?.headers['x-api-key'], 'key-newer');

      // Two links created at the same moment on Postgres can both stay outstanding (neither
      // transaction sees the other's row); completing one retires the other.
      const first = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'keys', identifier: 'gus' });
      const racing = `tpl_${randomBytes(32).toString('base64url')}`;
      await server.server.store.authorizationSessions.insert({
        id: `as_racing${randomBytes(4).toString('hex')}`,
        token_hash: createHash('sha256').update(racing).digest('hex'),
        account_id: first.body.connected_account.id,
        expires_at: Date.now() + 600_000,
        created_at: Date.now(),
      });
      assert.equal((await fetch(first.body.link, { method: 'POST', body: new URLSearchParams({ api_key: 'key-gus' }) })).status, 200);
      assert.equal((await fetch(`${server.url}/connect/${racing}`, { method: 'POST', body: new URLSearchParams({ api_key: 'key-gus-racing' }) })).status, 410);
      assert.equal((await proxy('gus')).status, 200);
      assert.equal(upstream.received.at(-1)?.headers['x-api-key'], 'key-gus');
    });
  });
}
