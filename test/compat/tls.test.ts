import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import { loadConfig } from '../../src/config.ts';
import { createServer, type Server } from '../../src/server.ts';
import { bootstrapCredentials, freePort } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { runReferenceExample } from './run-example.ts';
import { selfSignedCertificate } from './tls-cert.ts';

/**
 * Behind TLS, one port still serves both (wire notes §3.4): the SDK's gRPC client negotiates h2
 * by ALPN, its token and proxy calls stay on HTTP/1.1. The reference example runs unchanged
 * against an `https://` env URL; only the test CA is added (NODE_EXTRA_CA_CERTS), as an operator
 * with a private CA would.
 */

const { key, cert } = selfSignedCertificate();
let dir: string;
let upstream: Upstream;
let server: Server;
let url: string;
const agent = new Agent({ connect: { ca: cert } });

async function call(method: string, path: string, body?: unknown, token?: string) {
  const response = await undiciFetch(`${url}${path}`, {
    method,
    dispatcher: agent,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'application/x-www-form-urlencoded' : 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tp-tls-'));
  await writeFile(join(dir, 'ca.pem'), cert);
  upstream = await startUpstream();
  const port = await freePort();
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: String(port),
    TOOLPROXY_PUBLIC_URL: `https://127.0.0.1:${port}`,
    TOOLPROXY_DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'silent',
    TOOLPROXY_EGRESS_ALLOW_CIDRS: '127.0.0.0/8',
  });
  server = await createServer(config, { tls: { key, cert } });
  url = await server.listen('127.0.0.1', port);
  assert.equal(url, `https://127.0.0.1:${port}`);
});
after(async () => {
  await server.close();
  await upstream.close();
  await agent.close();
  await rm(dir, { recursive: true, force: true });
});

test('the reference example over https: gRPC on h2 via ALPN, token and proxy on HTTP/1.1', async () => {
  const { clientId, clientSecret } = bootstrapCredentials(server, 'tls');
  const issued = await call('POST', '/oauth/token', `grant_type=client_credentials&client_id=${clientId}&client_secret=${encodeURIComponent(clientSecret)}`);
  assert.equal(issued.status, 200);
  const token = issued.body.access_token as string;
  const connector = await call('POST', '/api/v1/custom-providers', {
    display_name: 'Acme Billing',
    proxy_url: `${upstream.url}/api`,
    proxy_enabled: true,
    auth_patterns: [{ type: 'API_KEY', display_name: 'Key', fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }], auth_header_key_override: 'X-API-Key' }],
  }, token);
  assert.equal(connector.status, 201);
  assert.equal((await call('POST', '/api/v1/connections', { name: 'your-provider-connection', connector: connector.body.provider.identifier }, token)).status, 201);

  const run = await runReferenceExample({ url, clientId, clientSecret, extra: { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') } }, async (link) => {
    assert.ok(link.startsWith(`${url}/connect/`), link);
    const submitted = await undiciFetch(link, { method: 'POST', dispatcher: agent, body: new URLSearchParams({ api_key: 'sk_tls_123' }) });
    assert.equal(submitted.status, 200);
  });
  assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /status: 200/);
  assert.match(run.stdout, /data: \{ data: \[ \[Object\] \], has_more: false \}/);
  assert.equal(upstream.received.at(-1)?.headers['x-api-key'], 'sk_tls_123');
});
