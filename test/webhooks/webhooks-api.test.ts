import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { endpointSecretBinding } from '../../src/webhooks/endpoints-service.ts';
import { Vault } from '../../src/vault/vault.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * /api/v1/webhooks: every bad input refused with its code and every problem listed; the signing
 * secret returned once and stored only encrypted, bound to its row; a receiver that hangs never
 * slows the API or the proxy (deliveries run off the request path, with a bounded timeout).
 */

let server: TestServer;
let receiver: Upstream;
let upstream: Upstream;
/** Requests the hanging receiver holds open (answered at the end). */
const held: Array<() => void> = [];

before(async () => {
  receiver = await startUpstream((_request, response) => held.push(() => response.writeHead(204).end()));
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase(), webhookDelivery: { timeoutMs: 1_000, pollIntervalMs: 3_600_000 } });
  const connector = await server.api('POST', '/api/v1/custom-providers', {
    display_name: 'Keyed API',
    proxy_url: `${upstream.url}/v1`,
    auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }] }],
  });
  assert.equal((await server.api('POST', '/api/v1/connections', { name: 'keys', connector: connector.body.provider.identifier })).status, 201);
});
after(async () => {
  for (const answer of held) answer();
  await server.close();
  await receiver.close();
  await upstream.close();
});

describe('bad input', () => {
  const cases: Array<[string, unknown, string[]]> = [
    ['no url', { events: [] }, ['/url']],
    ['a url that is not a string', { url: 42 }, ['/url']],
    ['a relative url', { url: '/hooks' }, ['/url']],
    ['a url that is not http(s)', { url: 'ftp://127.0.0.1/hooks' }, ['/url']],
    ['a url with credentials', { url: 'http://user:pw@127.0.0.1/hooks' }, ['/url']],
    ['a url with a fragment', { url: 'http://127.0.0.1/hooks#x' }, ['/url']],
    ['a url that is too long', { url: `http://127.0.0.1/${'a'.repeat(2100)}` }, ['/url']],
    ['an unknown event type', { url: 'http://127.0.0.1/h', events: ['account.created', 'account.exploded'] }, ['/events/1']],
    ['events that are not an array', { url: 'http://127.0.0.1/h', events: 'account.created' }, ['/events']],
    ['enabled that is not a boolean', { url: 'http://127.0.0.1/h', enabled: 'yes' }, ['/enabled']],
    ['a description too long', { url: 'http://127.0.0.1/h', description: 'x'.repeat(501) }, ['/description']],
    ['a description with control characters', { url: 'http://127.0.0.1/h', description: 'a\nb' }, ['/description']],
    ['an unknown field', { url: 'http://127.0.0.1/h', secret: 'whsec_mine' }, ['/secret']],
    ['every problem at once', { url: 'nope', events: ['x'], enabled: 1, extra: true }, ['/extra', '/url', '/events/0', '/enabled']],
  ];
  for (const [name, body, paths] of cases) {
    test(`refuses ${name} with WEBHOOK_INVALID`, async () => {
      const response = await server.api('POST', '/api/v1/webhooks', body);
      assert.equal(response.status, 422, response.text);
      assert.equal(response.body.error.code, 'WEBHOOK_INVALID');
      assert.deepEqual(response.body.error.details.problems.map((p: { path: string }) => p.path), paths);
    });
  }

  test('refuses a body that is not an object, and an update with a bad field', async () => {
    assert.equal((await server.api('POST', '/api/v1/webhooks', '[1]')).body.error.code, 'WEBHOOK_INVALID');
    const { body } = await server.api('POST', '/api/v1/webhooks', { url: `${receiver.url}/x`, enabled: false });
    const patched = await server.api('PATCH', `/api/v1/webhooks/${body.webhook.id}`, { events: ['nope'] });
    assert.equal(patched.body.error.code, 'WEBHOOK_INVALID');
    assert.equal((await server.api('DELETE', `/api/v1/webhooks/${body.webhook.id}`)).status, 204);
  });

  test('unknown endpoints and deliveries are 404 with their codes', async () => {
    for (const [method, path, code] of [
      ['GET', '/api/v1/webhooks/whep_nope', 'WEBHOOK_NOT_FOUND'],
      ['PATCH', '/api/v1/webhooks/whep_nope', 'WEBHOOK_NOT_FOUND'],
      ['DELETE', '/api/v1/webhooks/whep_nope', 'WEBHOOK_NOT_FOUND'],
      ['POST', '/api/v1/webhooks/whep_nope/rotate_secret', 'WEBHOOK_NOT_FOUND'],
      ['GET', '/api/v1/webhooks/whep_nope/deliveries', 'WEBHOOK_NOT_FOUND'],
      ['POST', '/api/v1/webhooks/whep_nope/deliveries/dlv_nope/replay', 'WEBHOOK_NOT_FOUND'],
    ] as const) {
      const response = await server.api(method, path, method === 'PATCH' ? {} : undefined);
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal(response.body.error.code, code);
    }
  });

  test('the endpoints need an app token', async () => {
    const response = await fetch(`${server.url}/api/v1/webhooks`);
    assert.equal(response.status, 401);
  });
});

describe('the signing secret', () => {
  test('is returned on create and rotate only, and stored encrypted, bound to its row', async () => {
    const created = await server.api('POST', '/api/v1/webhooks', { url: `${receiver.url}/secret`, description: 'secret test', events: ['account.deleted'] });
    assert.equal(created.status, 201);
    const { id } = created.body.webhook;
    const { secret } = created.body;
    assert.deepEqual(Object.keys(created.body.webhook).sort(), ['created_at', 'description', 'enabled', 'events', 'id', 'updated_at', 'url']);
    const texts = [
      (await server.api('GET', `/api/v1/webhooks/${id}`)).text,
      (await server.api('GET', '/api/v1/webhooks')).text,
      (await server.api('PATCH', `/api/v1/webhooks/${id}`, { description: 'renamed', enabled: false })).text,
    ];
    const rotated = await server.api('POST', `/api/v1/webhooks/${id}/rotate_secret`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.secret, secret);
    texts.push((await server.api('GET', `/api/v1/webhooks/${id}`)).text);
    for (const value of [secret, rotated.body.secret]) {
      assert.ok(!texts.some((text) => text.includes(value)));
      assert.ok(!server.logs.some((line) => line.includes(value)));
    }
    const row = await server.server.store.webhooks.findEndpoint(id);
    assert.match(row!.secret, /^v1\./);
    const vault = new Vault(server.server.keyring);
    assert.equal(vault.decrypt(row!.secret, endpointSecretBinding(id)), rotated.body.secret);
    assert.throws(() => vault.decrypt(row!.secret, endpointSecretBinding('whep_other')), { code: 'CREDENTIALS_UNREADABLE' });
    const updated = JSON.parse(texts[2]!).webhook;
    assert.equal(updated.description, 'renamed');
    assert.equal(updated.enabled, false);
    assert.deepEqual(updated.events, ['account.deleted']);
  });
});

describe('a receiver that hangs', () => {
  test('is queued with the change, never slows the API or the proxy; the attempt times out and is recorded for a retry', async () => {
    const { body } = await server.api('POST', '/api/v1/webhooks', { url: `${receiver.url}/slow`, events: ['account.created'] });
    const started = Date.now();
    const account = await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'keys', identifier: 'slow-user', authorization_details: { static_auth: { details: { api_key: 'k' } } } });
    assert.equal(account.status, 201, account.text);
    // Written in the account's own transaction: the delivery exists the moment the API answers.
    const queued = await server.server.store.webhooks.listDeliveries(body.webhook.id, { pageSize: 10 });
    assert.equal(queued.items.length, 1);
    const proxied = await fetch(`${server.url}/proxy/customers`, { headers: { authorization: `Bearer ${await server.token()}`, connection_name: 'keys', identifier: 'slow-user' } });
    assert.equal(proxied.status, 200);
    assert.ok(Date.now() - started < 900, `the API and the proxy answered in ${Date.now() - started} ms while the receiver hangs`);
    let delivery;
    for (let i = 0; i < 200 && delivery?.attempts !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      delivery = (await server.api('GET', `/api/v1/webhooks/${body.webhook.id}/deliveries`)).body.deliveries[0];
    }
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.last_error, 'WEBHOOK_TIMEOUT');
    assert.equal(delivery.last_status_code, null);
    assert.ok(delivery.last_duration_ms >= 1_000 && delivery.last_duration_ms < 3_000, `${delivery.last_duration_ms} ms`);
    assert.ok(held.length >= 1, 'the receiver did get the request');
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${await server.token()}` } })).text();
    assert.match(metrics, /^toolproxy_webhook_delivery_attempts_total\{outcome="retry"\} [1-9]/m);
  });
});
