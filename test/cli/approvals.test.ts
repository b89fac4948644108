import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';
import { cli } from './run-cli.ts';

/** `toolproxy approvals list|show|approve|deny|execute` in-process against a real server. */

let upstream: Upstream;
let server: TestServer;
let env: Record<string, string>;
const posts = () => upstream.received.filter((r) => r.method === 'POST').length;

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase(), approvalRequirement: (c) => (c.method === 'POST' ? { rule: 'every POST' } : null) });
  env = { TOOLPROXY_URL: server.url, TOOLPROXY_DATA_DIR: server.dataDir };
  await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url, apiKey: 'sk_cli_approvals' });
});
after(async () => {
  await server?.close();
  await upstream?.close();
});

async function hold(body: string): Promise<string> {
  const response = await call(server, await server.token(), 'crm', '/v1/customers', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  assert.equal(response.status, 403);
  return JSON.parse(response.body.toString('utf8')).error.details.approval_id;
}

test('approvals list, show, approve (the call runs once), deny, and the refusals', async () => {
  const id = await hold('{"name":"Grace"}');
  const listed = await cli(['approvals', 'list', '--status', 'pending'], env);
  assert.equal(listed.code, EXIT.OK, listed.stderr);
  assert.match(listed.stdout, /^ID\s+STATUS\s+CALL\s+ACCOUNT\s+RULE\s+EXPIRES\n/);
  assert.match(listed.stdout, new RegExp(`${id}\\s+PENDING\\s+POST /v1/customers\\s+crm/user_1\\s+every POST`));
  assert.doesNotMatch(listed.stdout, /Grace/);

  const shown = await cli(['approvals', 'show', id], env);
  assert.match(shown.stdout, /body\s+\{"name":"Grace"\}/);
  assert.match(shown.stdout, /header\s+content-type: application\/json/);
  assert.doesNotMatch(shown.stdout, /sk_cli_approvals/);

  const approved = await cli(['approvals', 'approve', id], env);
  assert.equal(approved.code, EXIT.OK, approved.stderr);
  assert.match(approved.stdout, /status\s+EXECUTED/);
  assert.match(approved.stdout, /answer\s+201/);
  assert.equal(posts(), 1);
  const again = await cli(['approvals', 'approve', id], env);
  assert.equal(again.code, EXIT.ERROR);
  assert.match(again.stderr, /\[APPROVAL_USED\]/);

  const second = await hold('{"name":"Linus"}');
  const denied = await cli(['approvals', 'deny', second, '--json'], env);
  assert.equal(JSON.parse(denied.stdout).approval.status, 'DENIED');
  const execute = await cli(['approvals', 'execute', second], env);
  assert.match(execute.stderr, /\[APPROVAL_DENIED\]/);
  assert.match((await cli(['approvals', 'show', 'apr_nope'], env)).stderr, /\[APPROVAL_NOT_FOUND\]/);
  assert.equal((await cli(['approvals', 'list', '--status', 'maybe'], env)).code, EXIT.USAGE);
  assert.equal(posts(), 1);
});
