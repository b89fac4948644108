import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { verifyWebhook } from '../../packages/sdk/src/index.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { cli } from './run-cli.ts';

/** `toolproxy webhooks …` in-process against a real server and a loopback receiver. */

let receiver: Upstream;
let server: TestServer;
let env: Record<string, string>;

before(async () => {
  receiver = await startUpstream((_request, response) => response.writeHead(204).end());
  server = await startTestServer({ database: await createSqliteDatabase() });
  env = { TOOLPROXY_URL: server.url, TOOLPROXY_DATA_DIR: server.dataDir };
  const connector = await server.api('POST', '/api/v1/custom-providers', {
    display_name: 'Keyed API',
    proxy_url: `${receiver.url}/v1`,
    auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }] }],
  });
  await server.api('POST', '/api/v1/connections', { name: 'keys', connector: connector.body.provider.identifier });
});
after(async () => {
  await server?.close();
  await receiver?.close();
});

test('webhooks create, list, deliveries, replay and delete', async () => {
  const forbidden = await cli(['webhooks', 'create', 'http://10.1.2.3/hook'], env);
  assert.equal(forbidden.code, EXIT.ERROR);
  assert.match(forbidden.stderr, /\[UPSTREAM_ADDRESS_FORBIDDEN\]/);
  const invalid = await cli(['webhooks', 'create', `${receiver.url}/h`, '--event', 'account.nope'], env);
  assert.match(invalid.stderr, /\[WEBHOOK_INVALID\]/);
  assert.match(invalid.stderr, /\/events\/0: must be one of/);

  const created = await cli(['webhooks', 'create', `${receiver.url}/hooks`, '--event', 'account.created,account.deleted', '-d', 'from the CLI'], env);
  assert.equal(created.code, EXIT.OK, created.stderr);
  const id = /webhook endpoint (whep_\S+)/.exec(created.stdout)![1]!;
  const secret = /TOOLPROXY_WEBHOOK_SECRET=(whsec_\S+)/.exec(created.stdout)![1]!;

  const listed = await cli(['webhooks', 'list'], env);
  assert.match(listed.stdout, new RegExp(`${id}\\s+${receiver.url}/hooks\\s+account.created, account.deleted\\s+yes\\s+from the CLI`));
  assert.ok(!listed.stdout.includes(secret));

  await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'keys', identifier: 'cli-user', authorization_details: { static_auth: { details: { api_key: 'k' } } } });
  for (let i = 0; i < 100 && receiver.received.length === 0; i++) await sleep(20);
  const event = verifyWebhook(secret, receiver.received[0]!.headers, receiver.received[0]!.body);
  assert.equal(event.type, 'account.created');

  let deliveries = await cli(['webhooks', 'deliveries', id, '--json'], env);
  for (let i = 0; i < 100 && JSON.parse(deliveries.stdout)[0]?.status !== 'succeeded'; i++) {
    await sleep(20);
    deliveries = await cli(['webhooks', 'deliveries', id, '--json'], env);
  }
  const [delivery] = JSON.parse(deliveries.stdout);
  assert.equal(delivery.eventId, event.id);
  const table = await cli(['webhooks', 'deliveries', id], env);
  assert.match(table.stdout, new RegExp(`${delivery.id}\\s+account.created\\s+succeeded\\s+1\\s+204`));

  const replayed = await cli(['webhooks', 'replay', id, delivery.id], env);
  assert.equal(replayed.code, EXIT.OK, replayed.stderr);
  assert.match(replayed.stdout, new RegExp(`Replaying delivery ${delivery.id} of event ${event.id}`));
  for (let i = 0; i < 100 && receiver.received.length < 2; i++) await sleep(20);
  assert.equal(receiver.received[1]!.headers['webhook-id'], event.id);

  assert.equal((await cli(['webhooks', 'delete', id], env)).code, EXIT.OK);
  const gone = await cli(['webhooks', 'deliveries', id], env);
  assert.match(gone.stderr, /\[WEBHOOK_NOT_FOUND\]/);
  assert.match((await cli(['webhooks', 'list'], env)).stdout, /No webhook endpoints yet/);
});
