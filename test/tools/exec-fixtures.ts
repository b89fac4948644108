import type http from 'node:http';
import type { TestServer } from '../helpers/server.ts';
import { json, type ReceivedRequest } from '../helpers/upstream.ts';

/**
 * Shared set-up for tool execution over every door (REST, gRPC, MCP): a custom "Exec"
 * connector whose tools call a real loopback upstream (this handler), an "Other" connector on
 * the same upstream (a tool of another connection), and accounts for one identifier.
 */

/** In the stored credentials only: it must appear nowhere a tool call answers, logs or records. */
export const CANARY = 'sk_canary_tools_8c1f2e9d7a';

export const EXEC_TOOLS = [
  {
    name: 'exec_item_get',
    display_name: 'Get an item',
    description: 'Reads one item by id.',
    input_schema: {
      type: 'object',
      properties: { id: { type: 'string' }, verbose: { type: 'boolean' }, trace: { type: 'string' } },
      required: ['id'],
      additionalProperties: false,
    },
    output_schema: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
    request: { method: 'GET', path: '/items/{id}', query: { verbose: { from: 'verbose' } }, headers: { 'X-Trace': { from: 'trace' } } },
    output: { fields: ['id', 'name', 'owner/login'] },
  },
  {
    name: 'exec_item_create',
    display_name: 'Create an item',
    description: 'Creates an item.',
    input_schema: {
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 }, tags: { type: 'array', items: { type: 'string' } }, count: { type: 'integer', minimum: 0 } },
      required: ['name'],
      additionalProperties: false,
    },
    annotations: { destructive_hint: false },
    request: { method: 'POST', path: '/items', body: { encoding: 'json', properties: { name: { from: 'name' }, tags: { from: 'tags' }, count: { from: 'count' } } } },
  },
  {
    name: 'exec_items_list',
    display_name: 'List items',
    description: 'Lists every item (a long answer).',
    input_schema: { type: 'object', properties: {}, additionalProperties: false },
    request: { method: 'GET', path: '/items' },
  },
  {
    name: 'exec_status',
    display_name: 'Answer a status',
    description: 'The upstream answers with the status asked for.',
    input_schema: { type: 'object', properties: { code: { type: 'integer' } }, required: ['code'] },
    request: { method: 'GET', path: '/status/{code}' },
  },
];

export const ITEM = { id: 'it_1', name: 'Widget', internal: 'not projected', owner: { login: 'ada', email: 'ada@example.com' } };

/** The upstream: items under /v1, and /v1/status/{code} answers that status. */
export function execUpstream(request: ReceivedRequest, response: http.ServerResponse): void {
  const path = request.url.split('?')[0] ?? '';
  const status = /^\/v1\/status\/(\d{3})$/.exec(path);
  if (status) {
    const code = Number(status[1]);
    return json(response, code, { error: { message: `upstream said ${code}` } }, code === 429 ? { 'retry-after': '17' } : {});
  }
  if (path === '/v1/items' && request.method === 'GET') {
    return json(response, 200, { items: Array.from({ length: 400 }, (_, i) => ({ id: `it_${i}`, name: `Item number ${i}`, pad: 'x'.repeat(20) })) });
  }
  if (path === '/v1/items' && request.method === 'POST') return json(response, 201, { id: 'it_new', received: JSON.parse(request.body.toString('utf8')) });
  // Never answers: the caller gives up first.
  if (path === '/v1/items/hang') return;
  if (path.startsWith('/v1/items/')) return json(response, 200, { ...ITEM, id: decodeURIComponent(path.slice('/v1/items/'.length)) });
  json(response, 404, { error: 'no such route' });
}

const apiKeyConnector = (displayName: string, proxyUrl: string, tools?: unknown[]) => ({
  display_name: displayName,
  proxy_url: proxyUrl,
  auth_patterns: [
    { type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }], auth_header_key_override: 'X-API-Key' },
  ],
  ...(tools === undefined ? {} : { tools }),
});

async function ok(response: Promise<{ status: number; text: string; body: any }>, what: string): Promise<any> {
  const answer = await response;
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer.body;
}

export interface ExecSetup {
  /** alice's ACTIVE account on `exec`. */
  accountId: string;
  /** alice's ACTIVE account on `other` (another connector). */
  otherAccountId: string;
}

/** Connectors `exec` (with EXEC_TOOLS) and `other`, connections of the same names, alice ACTIVE on both, bob PENDING on exec. */
export async function setUpExec(server: TestServer, upstreamUrl: string): Promise<ExecSetup> {
  await ok(server.api('POST', '/api/v1/custom-providers', apiKeyConnector('Exec', `${upstreamUrl}/v1`, EXEC_TOOLS)), 'exec connector');
  await ok(server.api('POST', '/api/v1/custom-providers', apiKeyConnector('Other', `${upstreamUrl}/v1`)), 'other connector');
  await ok(server.api('POST', '/api/v1/connections', { name: 'exec', connector: 'exec' }), 'exec connection');
  await ok(server.api('POST', '/api/v1/connections', { name: 'other', connector: 'other' }), 'other connection');
  const account = (connection: string, identifier: string, extra: Record<string, unknown> = {}) =>
    ok(server.api('POST', '/api/v1/connected_accounts', { connection_name: connection, identifier, authorization_details: { static_auth: { details: { api_key: CANARY } } }, ...extra }), `${connection} account`);
  const alice = await account('exec', 'alice', { organization_id: 'org_1' });
  const other = await account('other', 'alice');
  // bob has started connecting but has not finished: PENDING_AUTH.
  await ok(server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'exec', identifier: 'bob' }), 'bob link');
  return { accountId: alice.connected_account.id, otherAccountId: other.connected_account.id };
}
