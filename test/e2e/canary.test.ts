import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteDatabase, type TestDatabase } from '../helpers/databases.ts';
import { type ApiResponse, startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * S13: plant unique secrets in every credential field, run the flow including its error paths,
 * then look for each secret — raw, base64, base64url, percent-encoded, JSON-escaped, and as
 * base64(user:pass) — in every response we sent, every log line and the database files.
 */

const canary = (name: string) => `canary_${name}_${randomBytes(9).toString('hex')}`;
const secrets = {
  apiKey: canary('apikey'),
  bearer: canary('bearer'),
  basicUser: canary('basicuser'),
  basicPassword: canary('basicpass'),
  rejectedKey: canary('rejected'),
  malformedKey: `${canary('malformed')}\r\nX-Injected: 1`,
};

let upstream: Upstream;
let server: TestServer;
let database: TestDatabase;
const responses: string[] = [];
const linkTokens: string[] = [];

const record = (r: ApiResponse) => responses.push(r.text, JSON.stringify([...r.headers]));
async function recordFetch(url: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  responses.push(await response.clone().text(), JSON.stringify([...response.headers]));
  return response;
}

before(async () => {
  upstream = await startUpstream((request, response) => {
    // The verify endpoint refuses one specific key, so the rejected path runs too.
    if (request.url.endsWith('/v1/me') && request.headers['x-api-key'] === secrets.rejectedKey) return json(response, 401, { error: 'bad key' });
    if (request.url.endsWith('/v1/broken')) return json(response, 500, { error: 'boom' });
    return json(response, 200, { ok: true });
  });
  database = await createSqliteDatabase();
  server = await startTestServer({ database, onResponse: record });
});
after(async () => {
  await server.close();
  await upstream.close();
  await database.cleanup();
});

async function setUp(name: string, pattern: object, proxyUrl = upstream.url): Promise<string> {
  const created = await server.api('POST', '/api/v1/custom-providers', { display_name: name, proxy_url: proxyUrl, proxy_enabled: true, auth_patterns: [pattern] });
  assert.equal(created.status, 201, created.text);
  const connection = await server.api('POST', '/api/v1/connections', { name, connector: created.body.provider.identifier });
  assert.equal(connection.status, 201, connection.text);
  return name;
}

async function authorizeViaLink(connection: string, identifier: string, form: Record<string, string>): Promise<number> {
  const magic = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: connection, identifier });
  const link = `${server.url}${new URL(magic.body.link).pathname}`;
  linkTokens.push(link.split('/').pop()!);
  await recordFetch(link);
  const submitted = await recordFetch(link, { method: 'POST', body: new URLSearchParams(form) });
  return submitted.status;
}

async function callProxy(connection: string, identifier: string, path: string): Promise<number> {
  const response = await recordFetch(`${server.url}/proxy${path}`, {
    headers: { authorization: `Bearer ${await server.token()}`, connection_name: connection, identifier },
  });
  return response.status;
}

test('no planted secret appears in any response, log line or database file', async () => {
  const apiKeyConn = await setUp('canary-key', {
    type: 'API_KEY',
    fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }],
    auth_header_key_override: 'X-API-Key',
    verify: { method: 'GET', path: '/v1/me' },
  });
  const bearerConn = await setUp('canary-bearer', { type: 'BEARER', fields: [{ field_name: 'token', label: 'Token', input_type: 'password', required: true }] });
  const basicConn = await setUp('canary-basic', {
    type: 'BASIC',
    fields: [
      { field_name: 'username', label: 'User', input_type: 'text', required: true },
      { field_name: 'password', label: 'Password', input_type: 'password', required: true },
    ],
  });

  // Error paths first: a key the upstream rejects, a key with CR/LF, then the good ones.
  assert.equal(await authorizeViaLink(apiKeyConn, 'u1', { api_key: secrets.rejectedKey }), 422);
  assert.equal(await authorizeViaLink(apiKeyConn, 'u1', { api_key: secrets.malformedKey }), 422);
  assert.equal(await authorizeViaLink(apiKeyConn, 'u1', { api_key: secrets.apiKey }), 200);
  assert.equal(await authorizeViaLink(bearerConn, 'u1', { token: secrets.bearer }), 200);
  const created = await server.api('POST', '/api/v1/connected_accounts', {
    connection_name: basicConn,
    identifier: 'u1',
    authorization_details: { static_auth: { details: { username: secrets.basicUser, password: secrets.basicPassword } } },
  });
  assert.equal(created.status, 201, created.text);

  for (const connection of [apiKeyConn, bearerConn, basicConn]) {
    assert.equal(await callProxy(connection, 'u1', '/v1/customers?x=1'), 200);
    assert.equal(await callProxy(connection, 'u1', '/v1/broken'), 500);
    assert.equal(await callProxy(connection, 'u1', '/v1/%5cevil.example'), 400);
    await server.api('GET', `/api/v1/connections/${connection}/connected_accounts/u1`);
  }
  await server.api('GET', '/api/v1/connected_accounts');
  // The tools surface: definitions carry no secret, and listings for an identifier must not leak its credentials.
  const connector = (await server.api('GET', `/api/v1/connections/${apiKeyConn}`)).body.connection.connector;
  const tool = {
    name: `${connector.replace(/-/g, '_')}_customers_list`,
    display_name: 'List customers',
    description: 'Lists the customers of the account, for the canary sweep.',
    input_schema: { type: 'object', properties: { x: { type: 'string' } } },
    request: { method: 'GET', path: '/v1/customers', query: { x: { from: 'x' } } },
  };
  assert.equal((await server.api('POST', `/api/v1/custom-providers/${connector}/tools`, tool)).status, 201);
  assert.equal((await server.api('GET', `/api/v1/tools?connector=${connector}`)).body.total_size, 1);
  assert.equal((await server.api('GET', '/api/v1/tools/scoped?identifier=u1')).body.total_size, 1);
  assert.ok((await server.api('GET', '/api/v1/tools/available?identifier=u1')).body.total_size >= 1);
  await server.api('GET', `/api/v1/tools/${tool.name}`);

  // The tool door (tool execution, MCP) runs the same pipeline: its answers, refusals and request
  // log entries are swept too.
  for (const connection of [apiKeyConn, bearerConn, basicConn]) {
    const id = (await server.api('GET', `/api/v1/connections/${connection}/connected_accounts/u1`)).body.connected_account.id;
    const context = { door: 'tool', actor: { type: 'api_client', id: server.clientId }, toolName: 'canary_tool', executionId: `exec_${connection}` } as const;
    const request = { method: 'POST', routing: { accountId: id }, pathAndQuery: '/v1/customers', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}'), retries: 0 };
    const answer = await server.server.pipeline.collect(request, context, 4096);
    assert.equal(answer.status, 200);
    responses.push(answer.body.toString('latin1'), JSON.stringify(answer.headers));
    const refused = await server.server.pipeline.collect({ ...request, pathAndQuery: '/v1/%5cevil.example' }, context, 4096).catch((error: { toBody(): unknown }) => error.toBody());
    responses.push(JSON.stringify(refused));
  }
  await server.api('GET', '/api/v1/request_log?limit=500');

  // A credential that no longer decrypts (moved from another row) is a clean 500 with no detail.
  const db = new Database(database.options.kind === 'sqlite' ? database.options.path : '');
  const rows = db.prepare("select id, credentials from connected_accounts where credentials is not null order by id").all() as Array<{ id: string; credentials: string }>;
  db.prepare('update connected_accounts set credentials = ? where id = ?').run(rows[1]!.credentials, rows[0]!.id);
  db.close();
  await server.api('PATCH', '/api/v1/connections/canary-key', { enabled: true }); // drops the proxy's cache
  await server.api('PATCH', '/api/v1/connections/canary-bearer', { enabled: true });
  const statuses = await Promise.all([apiKeyConn, bearerConn, basicConn].map((c) => callProxy(c, 'u1', '/v1/customers')));
  assert.ok(statuses.includes(500), `one account no longer decrypts: ${statuses}`);
  assert.ok(server.logs.some((line) => line.includes('CREDENTIALS_UNREADABLE')));

  // The account API's newer surfaces: search, totals and disconnect (its credentials are deleted).
  assert.equal((await server.api('GET', '/api/v1/connected_accounts/search?query=canary')).status, 200);
  assert.equal((await server.api('GET', `/api/v1/connected_accounts?connection_name=${basicConn}&page_size=1`)).body.total_size, 1);
  const disconnected = await server.api('POST', `/api/v1/connections/${basicConn}/connected_accounts/u1/disconnect`);
  assert.equal(disconnected.status, 200, disconnected.text);
  assert.equal(await callProxy(basicConn, 'u1', '/v1/customers'), 409);
  await server.api('POST', `/api/v1/connections/${basicConn}/connected_accounts/u1/disconnect`);

  const dbDir = dirname(database.options.kind === 'sqlite' ? database.options.path : '');
  const dbFiles = readdirSync(dbDir).map((name) => readFileSync(join(dbDir, name)).toString('latin1'));
  const haystacks = { responses: responses.join('\n'), logs: server.logs.join('\n'), database: dbFiles.join('\n') };
  assert.ok(haystacks.logs.length > 1000 && haystacks.responses.length > 1000, 'the sweep has something to look at');

  const planted = Object.values(secrets).map((s) => s.split('\r')[0]!);
  const forms = (value: string) => [
    value,
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ];
  const needles = [
    ...planted.flatMap(forms),
    ...forms(`${secrets.basicUser}:${secrets.basicPassword}`),
  ];
  for (const [where, haystack] of Object.entries(haystacks)) {
    for (const needle of needles) assert.ok(!haystack.includes(needle), `a secret (${needle.slice(0, 18)}…) leaked into ${where}`);
  }
  // Link tokens are returned once, to the app that asked; they are never logged or stored.
  for (const token of linkTokens) {
    assert.ok(!haystacks.logs.includes(token), 'link token in logs');
    assert.ok(!haystacks.database.includes(token), 'link token in the database');
  }
  assert.ok(!haystacks.logs.includes(server.clientSecret), 'client secret in logs');
  assert.ok(!haystacks.database.includes(server.clientSecret), 'client secret in the database');
});
