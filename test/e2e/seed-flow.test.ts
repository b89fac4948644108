import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withTestDatabases, type TestDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * The seed flow exactly as the reference page describes it, over HTTP against a real server and
 * a real upstream: connector → connection → get-or-create account → authorization link → hosted
 * form → proxied call. Once per static auth pattern, on SQLite and on Postgres.
 */

interface PatternCase {
  name: string;
  definition: (upstreamUrl: string) => unknown;
  /** What the user types into the hosted form. */
  form: Record<string, string>;
  /** The one credential header the upstream must receive. */
  expectHeader: [string, string];
  /** Base path the upstream must see in front of the caller's path. */
  basePath: string;
}

const CASES: PatternCase[] = [
  {
    name: 'API_KEY',
    definition: (url) => ({
      display_name: 'Acme Billing',
      description: 'Customers and invoices',
      proxy_url: `${url}/api`,
      proxy_enabled: true,
      auth_patterns: [
        {
          type: 'API_KEY',
          display_name: 'API key',
          fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }],
          auth_header_key_override: 'X-API-Key',
          auth_field_mutations: { api_key: { prefix: 'Acme-Key ' } },
        },
      ],
    }),
    form: { api_key: 'sk_live_acme_123' },
    expectHeader: ['x-api-key', 'Acme-Key sk_live_acme_123'],
    basePath: '/api',
  },
  {
    name: 'BEARER',
    definition: (url) => ({
      display_name: 'Bearer CRM',
      proxy_url: url,
      proxy_enabled: true,
      auth_patterns: [
        { type: 'BEARER', display_name: 'Token', fields: [{ field_name: 'token', label: 'Access token', input_type: 'password', required: true }] },
      ],
    }),
    form: { token: 'tok_bearer_456' },
    expectHeader: ['authorization', 'Bearer tok_bearer_456'],
    basePath: '',
  },
  {
    name: 'BASIC',
    definition: (url) => ({
      display_name: 'Helpdesk',
      proxy_url: `${url}/{{tenant}}/api`,
      proxy_enabled: true,
      auth_patterns: [
        {
          type: 'BASIC',
          display_name: 'Basic Auth',
          fields: [
            { field_name: 'tenant', label: 'Workspace', input_type: 'text', required: true },
            { field_name: 'username', label: 'API key', input_type: 'password', required: true },
          ],
          auth_field_mutations: { password: { default: 'X' } },
        },
      ],
    }),
    form: { tenant: 'acme-support', username: 'basic_user_789' },
    expectHeader: ['authorization', `Basic ${Buffer.from('basic_user_789:X').toString('base64')}`],
    basePath: '/acme-support/api',
  },
];

const databases: TestDatabase[] = await withTestDatabases();

for (const database of databases) {
  describe(`seed flow on ${database.name}`, () => {
    let upstream: Upstream;
    let server: TestServer;

    before(async () => {
      upstream = await startUpstream();
      server = await startTestServer({ database });
    });
    after(async () => {
      await server.close();
      await upstream.close();
      await database.cleanup();
    });

    for (const c of CASES) {
      test(`${c.name}: connection → account → link → hosted form → proxied calls`, async () => {
        const connectionName = `${c.name.toLowerCase()}-conn`;
        const identifier = `user_${c.name}@example.com`;

        const created = await server.api('POST', '/api/v1/custom-providers', c.definition(upstream.url));
        assert.equal(created.status, 201, created.text);
        const connector = created.body.provider.identifier as string;

        const connection = await server.api('POST', '/api/v1/connections', { name: connectionName, connector });
        assert.equal(connection.status, 201, connection.text);
        assert.equal(connection.body.connection.type, c.name);

        const account = await server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: connectionName, identifier });
        assert.equal(account.status, 201);
        assert.equal(account.body.created, true);
        assert.equal(account.body.connected_account.status, 'PENDING_AUTH');
        const again = await server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: connectionName, identifier });
        assert.equal(again.status, 200);
        assert.equal(again.body.connected_account.id, account.body.connected_account.id);

        // Before authorization the proxy refuses, with a hint on how to fix it.
        upstream.received.length = 0;
        const early = await proxy(server, connectionName, identifier, '/v1/customers');
        assert.equal(early.status, 409);
        assert.equal(((await early.json()) as any).error.code, 'ACCOUNT_NOT_ACTIVE');
        assert.equal(upstream.received.length, 0);

        const magic = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: connectionName, identifier });
        assert.equal(magic.status, 200, magic.text);
        const link = new URL(magic.body.link as string);
        assert.ok(Date.parse(magic.body.expiry) > Date.now());
        const linkUrl = `${server.url}${link.pathname}`;

        const form = await fetch(linkUrl);
        assert.equal(form.status, 200);
        assert.equal(form.headers.get('referrer-policy'), 'no-referrer');
        assert.equal(form.headers.get('cache-control'), 'no-store');
        assert.match(form.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
        const html = await form.text();
        for (const name of Object.keys(c.form)) assert.match(html, new RegExp(`name="${name}"`));

        const submitted = await fetch(linkUrl, { method: 'POST', body: new URLSearchParams(c.form) });
        assert.equal(submitted.status, 200, await submitted.clone().text());
        assert.match(await submitted.text(), /connected/i);

        const reused = await fetch(linkUrl);
        assert.equal(reused.status, 410);
        assert.match(await reused.text(), /already been used/);

        const active = await server.api('GET', `/api/v1/connected_accounts/${account.body.connected_account.id}`);
        assert.equal(active.body.connected_account.status, 'ACTIVE');
        assert.equal(active.body.connected_account.has_credentials, true);
        for (const value of Object.values(c.form)) {
          if (value.startsWith('acme-')) continue; // the template field is non-secret api_config
          assert.ok(!active.text.includes(value), 'credentials never come back');
        }

        // The reference call: GET /v1/customers with the user's credentials injected.
        upstream.received.length = 0;
        const result = await proxy(server, connectionName, identifier, '/v1/customers?limit=2&starting_after=cus_0', {
          cookie: 'session=caller-cookie',
          'x-trace-id': 'trace-1',
          // The caller's own Authorization is its app token; other credential headers are tried here.
          ...(c.expectHeader[0] === 'authorization' ? {} : { [c.expectHeader[0].toUpperCase()]: 'caller-attempt-to-override' }),
        });
        assert.equal(result.status, 200);
        assert.deepEqual(await result.json(), { data: [{ id: 'cus_1', name: 'Ada' }], has_more: false });
        assert.equal(result.headers.get('x-request-id'), 'req_123');
        assert.equal(result.headers.get('content-type'), 'application/json');
        assert.equal(result.headers.get('set-cookie'), 'upstream=1; Path=/');

        assert.equal(upstream.received.length, 1);
        const seen = upstream.received[0]!;
        assert.equal(seen.method, 'GET');
        assert.equal(seen.url, `${c.basePath}/v1/customers?limit=2&starting_after=cus_0`);
        assert.equal(seen.headers[c.expectHeader[0]], c.expectHeader[1]);
        const credentialHeaders = seen.rawHeaders.filter((_, i) => i % 2 === 0 && seen.rawHeaders[i]!.toLowerCase() === c.expectHeader[0]);
        assert.equal(credentialHeaders.length, 1, 'exactly one credential header (P7)');
        assert.equal(seen.headers['x-trace-id'], 'trace-1');
        assert.equal(seen.headers.cookie, undefined);
        assert.equal(seen.headers.connection_name, undefined);
        assert.equal(seen.headers.identifier, undefined);
        assert.equal(seen.headers.host, `127.0.0.1:${upstream.port}`);
        if (c.expectHeader[0] !== 'authorization') assert.equal(seen.headers.authorization, undefined, 'the app token never reaches upstream');

        // POST with a JSON body: method, body and the upstream's 201 pass through.
        const posted = await proxy(server, connectionName, identifier, '/v1/customers', { 'content-type': 'application/json' }, 'POST', JSON.stringify({ name: 'Grace', tags: ['vip'] }));
        assert.equal(posted.status, 201);
        assert.equal(posted.headers.get('location'), '/v1/customers/cus_2');
        assert.deepEqual(((await posted.json()) as any).received, { name: 'Grace', tags: ['vip'] });
        const postSeen = upstream.received.at(-1)!;
        assert.equal(postSeen.method, 'POST');
        assert.equal(postSeen.headers['content-type'], 'application/json');
        assert.equal(postSeen.body.toString(), JSON.stringify({ name: 'Grace', tags: ['vip'] }));

        // Upstream errors are passed through unchanged, never rewritten.
        const missing = await proxy(server, connectionName, identifier, '/v1/nothing-here');
        assert.equal(missing.status, 404);
        assert.equal(missing.headers.get('x-toolproxy-error'), null);
        assert.deepEqual(await missing.json(), { error: { type: 'invalid_request_error', message: `No such route: ${c.basePath}/v1/nothing-here` } });
        const broken = await proxy(server, connectionName, identifier, '/v1/broken');
        assert.equal(broken.status, 500);
        assert.equal(broken.headers.get('retry-after'), '7');
        assert.deepEqual(await broken.json(), { error: { type: 'api_error', message: 'upstream exploded' } });
      });
    }

    test('the connected account appears in the list without credentials', async () => {
      const list = await server.api('GET', '/api/v1/connected_accounts?status=ACTIVE');
      assert.equal(list.status, 200);
      assert.equal(list.body.connected_accounts.length, CASES.length);
      for (const c of CASES) for (const [k, v] of Object.entries(c.form)) if (k !== 'tenant') assert.ok(!list.text.includes(v));
    });
  });
}

export function proxy(
  server: TestServer,
  connectionName: string,
  identifier: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<Response> {
  return server.token().then((token) =>
    fetch(`${server.url}/proxy${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, connection_name: connectionName, identifier, ...headers },
      ...(body === undefined ? {} : { body }),
    }),
  );
}
