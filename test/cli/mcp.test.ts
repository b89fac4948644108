import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { createTestConnections } from '../helpers/mcp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { cli } from './run-cli.ts';

/** `toolproxy mcp …` in-process against a real server. */

let upstream: Upstream;
let server: TestServer;
let env: Record<string, string>;

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase() });
  env = { TOOLPROXY_URL: server.url, TOOLPROXY_DATA_DIR: server.dataDir };
  await createTestConnections(server.api, upstream.url);
});
after(async () => {
  await server?.close();
  await upstream?.close();
});

test('mcp create, list, show, update, token, accounts and delete', async () => {
  const refused = await cli(['mcp', 'create', 'Bad Name', '--map', 'nope'], env);
  assert.equal(refused.code, EXIT.ERROR);
  assert.match(refused.stderr, /\[MCP_CONFIG_INVALID\]/);
  assert.match(refused.stderr, /\/name: must be 1-100 characters/);
  assert.match(refused.stderr, /\/connection_tool_mappings\/0\/connection_name: names no connection/);

  const created = await cli(['mcp', 'create', 'cli-agent', '--map', 'acme:acme_list_customers,acme_create_customer', '--map', 'beta', '-d', 'From the CLI', '--json'], env);
  assert.equal(created.code, EXIT.OK, created.stderr);
  const config = JSON.parse(created.stdout);
  assert.deepEqual(config.connectionToolMappings, [{ connectionName: 'acme', tools: ['acme_list_customers', 'acme_create_customer'] }, { connectionName: 'beta', tools: [] }]);

  const listed = await cli(['mcp', 'list'], env);
  assert.match(listed.stdout, /^ID\s+NAME\s+CONNECTIONS\s+URL\s+UPDATED\n/);
  assert.match(listed.stdout, new RegExp(`${config.id}\\s+cli-agent\\s+acme, beta\\s+${server.url}/mcp/${config.id}`));
  const shown = await cli(['mcp', 'show', config.id], env);
  assert.match(shown.stdout, /maps\s+acme: acme_list_customers, acme_create_customer\nmaps\s+beta: all tools/);

  const updated = await cli(['mcp', 'update', config.id, '--name', 'cli-agent-2', '--map', 'acme'], env);
  assert.equal(updated.code, EXIT.OK, updated.stderr);
  assert.match(updated.stdout, /name\s+cli-agent-2/);
  assert.match(updated.stdout, /maps\s+acme: all tools/);

  const token = await cli(['mcp', 'token', config.id, 'cli_user', '--expiry', '120'], env);
  assert.equal(token.code, EXIT.OK, token.stderr);
  assert.match(token.stdout, /^tpms_[A-Za-z0-9_.-]+\n$/);
  assert.match(token.stderr, /Connect an MCP client to http/);
  const listedTools = await fetch(`${server.url}/mcp/${config.id}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.stdout.trim()}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(listedTools.status, 200);
  assert.equal((await cli(['mcp', 'token', config.id, 'cli_user', '--expiry', 'soon'], env)).code, EXIT.USAGE);

  const accounts = await cli(['mcp', 'accounts', config.id, 'cli_user', '--links'], env);
  assert.match(accounts.stdout, /^CONNECTION\s+CONNECTOR\s+STATUS\s+LINK\nacme\s+Acme Billing\s+PENDING_AUTH\s+http.*\/connect\/tpl_/);

  assert.equal((await cli(['mcp', 'delete', config.id], env)).code, EXIT.OK);
  const gone = await cli(['mcp', 'show', config.id], env);
  assert.match(gone.stderr, /\[MCP_CONFIG_NOT_FOUND\]/);
});
