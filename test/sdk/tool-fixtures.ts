import http from 'node:http';
import type { ReceivedRequest } from '../helpers/upstream.ts';

/**
 * Tools every client test runs (Node SDK, adapters, Python SDK, CLI): a custom API_KEY connector
 * "acme" with three tools over a loopback upstream, a second connector "beta" the user has not
 * connected, and a canary credential that must never come back from any of our surfaces.
 */
export const TOOL_CANARY = 'sk_canary_tools_9f3b2c7d1e';
export const IDENTIFIER = 'tool_user_1';

const apiKeyPattern = [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }], auth_header_key_override: 'X-API-Key' }];

export function acmeConnector(upstreamUrl: string) {
  return {
    display_name: 'Acme',
    proxy_url: `${upstreamUrl}/api`,
    proxy_enabled: true,
    auth_patterns: apiKeyPattern,
    tools: [
      {
        name: 'acme_customer_get',
        display_name: 'Get a customer',
        description: 'Returns one customer by id: its id, name and plan.',
        input_schema: { type: 'object', properties: { customer_id: { type: 'string', description: 'The customer id, like c_1.' } }, required: ['customer_id'], additionalProperties: false },
        request: { method: 'GET', path: '/customers/{customer_id}' },
        output: { fields: ['id', 'name', 'plan'] },
      },
      {
        name: 'acme_customers_list',
        display_name: 'List customers',
        description: 'Lists customers, newest first.',
        input_schema: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100 } }, additionalProperties: false },
        request: { method: 'GET', path: '/customers', query: { limit: { from: 'limit' } } },
      },
      {
        name: 'acme_invoice_create',
        display_name: 'Create an invoice',
        description: 'Creates a draft invoice for a customer. Amounts are in cents.',
        input_schema: {
          type: 'object',
          properties: { customer_id: { type: 'string' }, amount: { type: 'integer', minimum: 1 }, currency: { type: 'string', enum: ['eur', 'usd'] } },
          required: ['customer_id', 'amount'],
          additionalProperties: false,
        },
        request: { method: 'POST', path: '/customers/{customer_id}/invoices', body: { encoding: 'json', properties: { amount: { from: 'amount' }, currency: { from: 'currency' } } } },
      },
    ],
  };
}

export function betaConnector(upstreamUrl: string) {
  return {
    display_name: 'Beta',
    proxy_url: `${upstreamUrl}/beta`,
    proxy_enabled: true,
    auth_patterns: apiKeyPattern,
    tools: [
      {
        name: 'beta_note_get',
        display_name: 'Get a note',
        description: 'Returns one note.',
        input_schema: { type: 'object', properties: { note_id: { type: 'string' } }, required: ['note_id'] },
        request: { method: 'GET', path: '/notes/{note_id}' },
      },
    ],
  };
}

/**
 * The upstream: `/api/customers/{id}` (c_401, c_403 and c_500 answer with that status, c_429 with
 * 429 and Retry-After: 7),
 * `/api/customers` (a list honouring `limit`), `POST …/invoices` (echoes the body it got).
 */
export function acmeUpstream(request: ReceivedRequest, response: http.ServerResponse): void {
  const url = new URL(request.url, 'http://upstream');
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
  const customer = /^\/api\/customers\/([^/]+)$/.exec(url.pathname);
  if (customer && request.method === 'GET') {
    const id = decodeURIComponent(customer[1]!);
    if (id === 'c_401') return json(401, { message: 'bad key' });
    if (id === 'c_403') return json(403, { message: 'missing scope customers:read' });
    if (id === 'c_429') return json(429, { message: 'slow down' }, { 'retry-after': '7' });
    if (id === 'c_500') return json(500, { message: 'upstream broke' });
    return json(200, { id, name: `Customer ${id}`, plan: 'pro', internal_score: 42 });
  }
  if (url.pathname === '/api/customers' && request.method === 'GET') {
    const limit = Number(url.searchParams.get('limit') ?? 2);
    return json(200, Array.from({ length: limit }, (_, i) => ({ id: `c_${i + 1}` })));
  }
  const invoice = /^\/api\/customers\/([^/]+)\/invoices$/.exec(url.pathname);
  if (invoice && request.method === 'POST') return json(201, { id: 'inv_1', customer: decodeURIComponent(invoice[1]!), ...JSON.parse(request.body.toString('utf8')) });
  json(404, { message: 'not found' });
}

type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any; text: string }>;

/** Connectors, connections (`acme`, `acme-eu` on the same connector, `beta`) and the user's ACTIVE accounts on `acme` and `acme-eu` (made under organization `org_1`). */
export async function createToolFixtures(api: Api, upstreamUrl: string): Promise<{ accountId: string; euAccountId: string }> {
  for (const [definition, connections] of [[acmeConnector(upstreamUrl), ['acme', 'acme-eu']], [betaConnector(upstreamUrl), ['beta']]] as const) {
    const created = await api('POST', '/api/v1/custom-providers', definition);
    if (created.status !== 201) throw new Error(created.text);
    for (const name of connections) {
      const connection = await api('POST', '/api/v1/connections', { name, connector: created.body.provider.identifier });
      if (connection.status !== 201) throw new Error(connection.text);
    }
  }
  const ids: string[] = [];
  for (const connection_name of ['acme', 'acme-eu']) {
    const account = await api('POST', '/api/v1/connected_accounts', {
      connection_name,
      identifier: IDENTIFIER,
      ...(connection_name === 'acme-eu' ? { organization_id: 'org_1' } : {}),
      authorization_details: { static_auth: { details: { api_key: TOOL_CANARY } } },
    });
    if (account.status !== 201) throw new Error(account.text);
    ids.push(account.body.connected_account.id);
  }
  return { accountId: ids[0]!, euAccountId: ids[1]! };
}
