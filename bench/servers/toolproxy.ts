import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsBinding } from '../../src/accounts/accounts-service.ts';
import { loadConfig } from '../../src/config.ts';
import { newId } from '../../src/ids.ts';
import { createServer } from '../../src/server.ts';
import { Vault } from '../../src/vault/vault.ts';
import { profileOnSignal } from './profiler.ts';

/**
 * toolproxy as the benchmark runs it: the real server (createServer, SQLite in a temp dir),
 * one API_KEY connector pointing at the loopback upstream, one connection `bench`, and
 * BENCH_ACCOUNTS active accounts `user_0 … user_{n-1}` inserted straight through the store and
 * the vault (100,000 over HTTP would take minutes). Prints `{"ready":true,"port":…,"token":…}`.
 * Usage: toolproxy.ts <upstream origin>   (env: BENCH_ACCOUNTS, plus any TOOLPROXY_* setting)
 */
const origin = process.argv[2];
if (!origin) throw new Error('usage: toolproxy.ts <upstream origin>');
const accounts = Number(process.env.BENCH_ACCOUNTS ?? '10');
/** The bench connector's identifier is `bench-api`: its tools start with `bench_api_`. */
const TOOL_NAME = 'bench_api_customers_list';
const dataDir = mkdtempSync(join(tmpdir(), 'tp-bench-'));

// A known port, so the public URL names it: the MCP endpoint accepts only its own Host (DNS-rebinding check).
const port = await new Promise<number>((resolve) => {
  const probe = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address() as net.AddressInfo;
    probe.close(() => resolve(free));
  });
});
const config = loadConfig({
  HOST: '127.0.0.1',
  PORT: String(port),
  TOOLPROXY_PUBLIC_URL: `http://127.0.0.1:${port}`,
  LOG_LEVEL: 'warn',
  TOOLPROXY_DATA_DIR: dataDir,
  TOOLPROXY_EGRESS_ALLOW_CIDRS: '127.0.0.0/8',
  ...process.env,
});
const server = await createServer(config);
const { app, store, keyring, bootstrap } = server;
// Listen first: the dual-protocol listener adds a hook, which Fastify refuses once inject() ran.
const address = await server.listen('127.0.0.1', port);

const tokenResponse = await app.inject({
  method: 'POST',
  url: '/oauth/token',
  // A fresh data dir: this start created the client, so the banner's one-time secret is here.
  payload: { grant_type: 'client_credentials', client_id: bootstrap.clientId, client_secret: bootstrap.source === 'file' ? bootstrap.clientSecret : undefined },
});
const token = (tokenResponse.json() as { access_token: string }).access_token;
const auth = { authorization: `Bearer ${token}` };

const connector = await app.inject({
  method: 'POST',
  url: '/api/v1/custom-providers',
  headers: auth,
  payload: {
    display_name: 'Bench API',
    proxy_url: `${origin}/api`,
    proxy_enabled: true,
    auth_patterns: [
      {
        type: 'API_KEY',
        fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }],
        auth_header_key_override: 'X-API-Key',
      },
    ],
    // The same upstream request as the /proxy line's GET /proxy/v1/customers, as a tool.
    tools: [
      {
        name: TOOL_NAME,
        display_name: 'List customers',
        description: 'Lists customers.',
        input_schema: { type: 'object', properties: {}, additionalProperties: false },
        request: { method: 'GET', path: '/v1/customers' },
      },
    ],
  },
});
if (connector.statusCode !== 201) throw new Error(`connector: ${connector.body}`);
const connection = await app.inject({
  method: 'POST',
  url: '/api/v1/connections',
  headers: auth,
  payload: { name: 'bench', connector: (connector.json() as { provider: { identifier: string } }).provider.identifier },
});
if (connection.statusCode !== 201) throw new Error(`connection: ${connection.body}`);
const connectionId = (connection.json() as { connection: { id: string } }).connection.id;

// MCP: a config over the bench connection and a session token for user_0 (tools/call line).
const mcpConfig = await app.inject({
  method: 'POST',
  url: '/api/v1/mcp/configs',
  headers: auth,
  payload: { name: 'bench', connection_tool_mappings: [{ connection_name: 'bench', tools: [] }] },
});
if (mcpConfig.statusCode !== 201) throw new Error(`mcp config: ${mcpConfig.body}`);
const mcp = (mcpConfig.json() as { mcp_config: { id: string; mcp_server_url: string } }).mcp_config;

const vault = new Vault(keyring);
const now = Date.now();
const BATCH = 500;
await store.db.transaction().execute(async (trx) => {
  for (let start = 0; start < accounts; start += BATCH) {
    const rows = [];
    for (let i = start; i < Math.min(accounts, start + BATCH); i++) {
      const id = newId('ca');
      rows.push({
        id,
        connection_id: connectionId,
        identifier: `user_${i}`,
        status: 'ACTIVE' as const,
        authorization_type: 'API_KEY',
        credentials: vault.encryptJson({ api_key: `sk_bench_${i}` }, credentialsBinding(id)),
        api_config: '{}',
        credentials_version: 1,
        token_expires_at: null,
        last_used_at: null,
        status_updated_at: now,
        created_at: now,
        updated_at: now,
      });
    }
    await trx.insertInto('connected_accounts').values(rows).execute();
  }
});

// Minted once the accounts exist; a day, longer than any run.
const session = await app.inject({ method: 'POST', url: `/api/v1/mcp/configs/${mcp.id}/session_tokens`, headers: auth, payload: { identifier: 'user_0', expiry_seconds: 86_400 } });
if (session.statusCode !== 201) throw new Error(`session token: ${session.body}`);
const mcpToken = (session.json() as { session_token: string }).session_token;

profileOnSignal('toolproxy');
process.stdout.write(`${JSON.stringify({ ready: true, port: Number(new URL(address).port), token, accounts, tool: TOOL_NAME, mcpPath: new URL(mcp.mcp_server_url).pathname, mcpToken })}\n`);

const stop = () => {
  server.close().finally(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
