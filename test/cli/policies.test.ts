import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { connectApiKey } from '../proxy/fixtures.ts';
import { cli } from './run-cli.ts';

/** `toolproxy policies get|set|delete` in-process against a real server. */

let upstream: Upstream;
let server: TestServer;
let env: Record<string, string>;

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase() });
  env = { TOOLPROXY_URL: server.url, TOOLPROXY_DATA_DIR: server.dataDir };
  await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url });
});
after(async () => {
  await server?.close();
  await upstream?.close();
});

test('policies set, get and delete on a connection and an account; problems are printed', async () => {
  const none = await cli(['policies', 'get', 'crm'], env);
  assert.equal(none.code, EXIT.OK, none.stderr);
  assert.match(none.stdout, /No policy on connection crm/);

  const bad = await cli(['policies', 'set', 'crm', '--policy', '{"read_only":true,"allowed_methods":["DELETE"]}'], env);
  assert.equal(bad.code, EXIT.ERROR);
  assert.match(bad.stderr, /\[POLICY_INVALID\]/);
  assert.match(bad.stderr, /\/allowed_methods\/0: DELETE contradicts read_only/);

  const file = join(server.dataDir, 'policy.json');
  writeFileSync(file, JSON.stringify({ allowed_methods: ['GET', 'POST'], paths: { deny: ['/v1/admin/**'] } }));
  const set = await cli(['policies', 'set', 'crm', '--file', file], env);
  assert.equal(set.code, EXIT.OK, set.stderr);
  assert.match(set.stdout, /"\/v1\/admin\/\*\*"/);
  const shown = await cli(['policies', 'get', 'crm', '--json'], env);
  assert.deepEqual(JSON.parse(shown.stdout).policy, { allowed_methods: ['GET', 'POST'], paths: { deny: ['/v1/admin/**'] } });

  const id = (await server.api('GET', '/api/v1/connected_accounts?connection_name=crm&identifier=user_1')).body.connected_accounts[0].id as string;
  const widening = await cli(['policies', 'set', '--account', id, '--policy', '{"allowed_methods":["PUT"]}'], env);
  assert.equal(widening.code, EXIT.ERROR);
  assert.match(widening.stderr, /\[POLICY_WIDENS\]/);
  assert.equal((await cli(['policies', 'set', '--account', id, '--policy', '{"read_only":true}'], env)).code, EXIT.OK);
  const effective = await cli(['policies', 'get', '--account', id, '--effective', '--json'], env);
  assert.equal(JSON.parse(effective.stdout).layers.length, 2);

  assert.equal((await cli(['policies', 'delete', '--account', id], env)).code, EXIT.OK);
  assert.equal((await cli(['policies', 'delete', 'crm'], env)).code, EXIT.OK);
  assert.match((await cli(['policies', 'get', 'crm'], env)).stdout, /No policy/);

  assert.equal((await cli(['policies', 'get'], env)).code, EXIT.USAGE);
  assert.equal((await cli(['policies', 'set', 'crm'], env)).code, EXIT.USAGE);
  assert.equal((await cli(['policies', 'set', 'crm', '--policy', '{nope'], env)).code, EXIT.USAGE);
});
