import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startWireRecorder, type WireRecorder } from '../helpers/wire-recorder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { acmeUpstream, createToolFixtures, IDENTIFIER, TOOL_CANARY } from '../sdk/tool-fixtures.ts';
import { cli } from './run-cli.ts';

/**
 * `toolproxy tools show|run` against the real server; `run` goes through a wire recorder
 * (../helpers/wire-recorder.ts) in front of it, which keeps the execute_tool bodies the CLI sends.
 */
let upstream: Upstream;
let server: TestServer;
let stub: WireRecorder;
let env: Record<string, string>;
let runEnv: Record<string, string>;
let accountId: string;
let dir: string;

before(async () => {
  upstream = await startUpstream(acmeUpstream);
  server = await startTestServer({ database: await createSqliteDatabase() });
  ({ accountId } = await createToolFixtures(server.api, upstream.url));
  stub = await startWireRecorder(server.url);
  env = { TOOLPROXY_URL: server.url, TOOLPROXY_CLIENT_ID: server.clientId, TOOLPROXY_CLIENT_SECRET: server.clientSecret };
  runEnv = { ...env, TOOLPROXY_URL: stub.url };
  dir = await mkdtemp(join(tmpdir(), 'tp-cli-tools-'));
});
after(async () => {
  await stub?.close();
  await server?.close();
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('CLI: tools show and run', () => {
  test('tools show: description, request template, input schema and output projection; --json is the Tool', async () => {
    const shown = await cli(['tools', 'show', 'acme_invoice_create'], env);
    assert.equal(shown.code, EXIT.OK, shown.stderr);
    assert.match(shown.stdout, /^acme_invoice_create — Create an invoice\nconnector: acme {3}source: custom {3}version: 1\n\nCreates a draft invoice/);
    assert.match(shown.stdout, /\nrequest: POST \/customers\/\{customer_id\}\/invoices\n {4}body:\n/);
    assert.match(shown.stdout, /\ninput schema:\n {2}\{\n {4}"type": "object",/);
    assert.match((await cli(['tools', 'show', 'acme_customer_get'], env)).stdout, /\noutput:\n {2}\{\n {4}"fields": \[/);
    const json = JSON.parse((await cli(['tools', 'show', 'acme_customer_get', '--json'], env)).stdout);
    assert.equal(json.definition.name, 'acme_customer_get');
    const missing = await cli(['tools', 'show', 'acme_nope'], env);
    assert.equal(missing.code, EXIT.ERROR);
    assert.match(missing.stderr, /\[TOOL_NOT_FOUND\]/);
  });

  test('tools run prints the data: --identifier with --connection, --account, --input @file', async () => {
    const ran = await cli(['tools', 'run', 'acme_customer_get', '--identifier', IDENTIFIER, '--connection', 'acme', '--input', '{"customer_id":"c_2"}'], runEnv);
    assert.equal(ran.code, EXIT.OK, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), { id: 'c_2', name: 'Customer c_2', plan: 'pro' });
    assert.deepEqual(stub.executions.at(-1), { tool_name: 'acme_customer_get', params: { customer_id: 'c_2' }, identifier: IDENTIFIER, connection_name: 'acme' });
    assert.equal(upstream.received.at(-1)!.headers['x-api-key'], TOOL_CANARY);
    assert.ok(!ran.stdout.includes(TOOL_CANARY));

    const file = join(dir, 'invoice.json');
    await writeFile(file, JSON.stringify({ customer_id: 'c_3', amount: 900 }));
    const fromFile = await cli(['tools', 'run', 'acme_invoice_create', '--account', accountId, '--input', `@${file}`, '--json'], runEnv);
    assert.equal(fromFile.code, EXIT.OK, fromFile.stderr);
    const result = JSON.parse(fromFile.stdout);
    assert.deepEqual(result.data, { id: 'inv_1', customer: 'c_3', amount: 900 });
    assert.match(result.executionId, /^ex_/);
  });

  test('exit codes: bad --input and no account are usage errors (nothing sent), a refused input lists every problem, an upstream 401 exits 4 with the link', async () => {
    const count = stub.executions.length;
    for (const args of [
      ['--identifier', IDENTIFIER, '--input', '{"customer_id":'],
      ['--identifier', IDENTIFIER, '--input', '[1]'],
      ['--identifier', IDENTIFIER, '--input', '@nope.json'],
      ['--input', '{}'],
      ['--identifier', IDENTIFIER],
    ]) {
      const refused = await cli(['tools', 'run', 'acme_customer_get', ...args], runEnv, dir);
      assert.equal(refused.code, EXIT.USAGE, `${args.join(' ')}: ${refused.stderr}`);
    }
    assert.equal(stub.executions.length, count);

    const invalid = await cli(['tools', 'run', 'acme_invoice_create', '--account', accountId, '--input', '{"amount":0}'], runEnv);
    assert.equal(invalid.code, EXIT.ERROR);
    assert.match(invalid.stderr, /^toolproxy: \[TOOL_INPUT_INVALID\] .*\n {2}\/customer_id: is required\n {2}\/amount: must be >= 1\n$/);

    const unauthorized = await cli(['tools', 'run', 'acme_customer_get', '--account', accountId, '--input', '{"customer_id":"c_401"}'], runEnv);
    assert.equal(unauthorized.code, EXIT.UPSTREAM_STATUS);
    assert.match(unauthorized.stderr, /^The upstream API refused the user's credentials: send them a new authorization link \(toolproxy accounts link\)\.\ntoolproxy: \[TOOL_UNAUTHORIZED\]/);
    const failed = await cli(['tools', 'run', 'acme_customer_get', '--account', accountId, '--input', '{"customer_id":"c_500"}', '--json'], runEnv);
    assert.equal(failed.code, EXIT.UPSTREAM_STATUS);
    assert.deepEqual(JSON.parse(failed.stderr).error.details.body, { message: 'upstream broke' });
  });
});
