import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/store/store.ts';
import { ToolproxyClient, verifyWebhook } from '../../packages/sdk/src/index.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { type OAuthProviderHarness, type ProtectedApi, startOAuthProvider, startProtectedApi } from '../helpers/oauth-provider.ts';
import { type ApiResponse, freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { authorizeThroughLink, createOAuthConnection, type StoredOAuthTokens, storedOAuthTokens } from '../helpers/oauth-accounts.ts';
import { type ReceivedRequest, startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * Webhooks end to end, on SQLite and Postgres, with a real loopback receiver and a real OAuth
 * server (oidc-provider): a refused refresh turns an account EXPIRED and a signed
 * `account.status_changed` arrives; a receiver failing twice gets it on the third attempt; a
 * restart (and a crashed instance's lease) between commit and delivery still delivers; replays
 * keep the webhook-id; a forbidden URL is refused; a canary sweep finds no credential anywhere.
 * Retries are driven by moving the server's clock and running the worker, never by sleeping.
 */

const databases = await withTestDatabases();
const BASE_DELAY_MS = 30_000;

for (const database of databases) {
  describe(`webhooks on ${database.name}`, () => {
    const encryptionKey = randomBytes(32).toString('base64');
    const canary = `canary-${randomBytes(12).toString('hex')}`;
    let port: number;
    let server: TestServer;
    let provider: OAuthProviderHarness;
    let api: ProtectedApi;
    let receiver: Upstream;
    let offsetMs = 0;
    let failNext = 0;
    let endpointId: string;
    let secret: string;
    const now = () => Date.now() + offsetMs;
    const answers: string[] = [];
    const earlierLogs: string[] = [];
    const issued = new Set<string>();

    const startServer = (start = true) =>
      startTestServer({
        database,
        port,
        clock: now,
        env: { TOOLPROXY_ENCRYPTION_KEY: encryptionKey },
        onResponse: (r: ApiResponse) => answers.push(r.text),
        // Jitter pinned to the middle (×1.0): retry n waits exactly BASE × 2^(n-1). The timer polls
        // rarely, so the test decides when due deliveries run.
        webhookDelivery: { baseDelayMs: BASE_DELAY_MS, random: () => 0.5, pollIntervalMs: 3_600_000, start },
      });

    before(async () => {
      port = await freePort();
      receiver = await startUpstream((_request: ReceivedRequest, response: http.ServerResponse) => {
        if (failNext > 0) {
          failNext--;
          response.writeHead(503).end('down for maintenance');
          return;
        }
        response.writeHead(204).end();
      });
      api = await startProtectedApi(() => provider?.provider);
      server = await startServer();
      provider = await startOAuthProvider({ redirectUris: [`${server.url}/oauth/callback/oauth`], apiOrigin: api.url });
      await createOAuthConnection(server, provider.issuer, `${api.url}/v1`);
      const created = await server.api('POST', '/api/v1/webhooks', { url: `${receiver.url}/hooks/toolproxy?tenant=t1`, events: ['account.status_changed'], description: 'status changes' });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      ({ id: endpointId } = created.body.webhook);
      secret = created.body.secret;
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    });
    after(async () => {
      await server?.close();
      await provider?.close();
      await api?.close();
      await receiver?.close();
      await database.cleanup();
    });

    async function authorize(identifier: string): Promise<void> {
      answers.push((await authorizeThroughLink(server, identifier)).callback);
    }

    async function storedTokens(identifier: string): Promise<StoredOAuthTokens> {
      const tokens = await storedOAuthTokens(server, identifier);
      issued.add(tokens.access_token);
      issued.add(tokens.refresh_token);
      return tokens;
    }

    /**
     * Deliveries the receiver got for this identifier's account, signatures verified with the SDK
     * helper as of when each was sent (the tests move the clock by hours; the tolerance check
     * itself is asserted where a delivery is fresh).
     */
    function received(identifier: string, key = secret) {
      return receiver.received
        .filter((request) => (key === secret ? request.url !== '/all' : request.url === '/all'))
        .map((request) => ({ request, event: verifyWebhook<any>(key, request.headers, request.body, { now: () => Number(request.headers['webhook-timestamp']) * 1000 }) }))
        .filter(({ event }) => event.data.connected_account.identifier === identifier);
    }

    async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string): Promise<T> {
      for (let i = 0; i < 250; i++) {
        const value = await check();
        if (value) return value;
        await sleep(20);
      }
      assert.fail(`timed out waiting for ${what}`);
    }

    async function delivery(eventId: string) {
      const list = await server.api('GET', `/api/v1/webhooks/${endpointId}/deliveries?page_size=100`);
      assert.equal(list.status, 200, list.text);
      return list.body.deliveries.find((d: { event_id: string }) => d.event_id === eventId);
    }

    test('a refused refresh turns the account ACTIVE → EXPIRED and delivers a signed account.status_changed', async () => {
      await authorize('mallory');
      const connected = await until(() => received('mallory').find(({ event }) => event.data.status === 'ACTIVE'), 'the PENDING_AUTH → ACTIVE event');
      assert.equal(connected.event.data.previous_status, 'PENDING_AUTH');

      const { refresh_token } = await storedTokens('mallory');
      await (await provider.provider.RefreshToken.find(refresh_token))!.destroy();
      offsetMs += 2 * 3600 * 1000;
      const proxied = await fetch(`${server.url}/proxy/customers`, { headers: { authorization: `Bearer ${await server.token()}`, connection_name: 'oauth', identifier: 'mallory' } });
      answers.push(await proxied.text());
      assert.equal(proxied.headers.get('x-toolproxy-error'), 'ACCOUNT_EXPIRED');

      const { request, event } = await until(() => received('mallory').find(({ event }) => event.data.status === 'EXPIRED'), 'the ACTIVE → EXPIRED event');
      assert.equal(event.type, 'account.status_changed');
      assert.equal(event.data.previous_status, 'ACTIVE');
      assert.equal(event.data.connected_account.status, 'EXPIRED');
      assert.deepEqual(event.data.actor, { type: 'system', id: 'token-refresher' });
      assert.equal(request.method, 'POST');
      assert.equal(request.url, '/hooks/toolproxy?tenant=t1');
      assert.equal(request.headers['content-type'], 'application/json');
      assert.match(String(request.headers['webhook-id']), /^evt_/);
      assert.match(String(request.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]{43}=$/);
      assert.ok(Math.abs(Number(request.headers['webhook-timestamp']) - now() / 1000) < 60);
      assert.equal(verifyWebhook(secret, request.headers, request.body, { now }).id, request.headers['webhook-id']);

      const record = await until(async () => {
        const found = await delivery(event.id);
        return found?.status === 'succeeded' && found;
      }, 'the delivery to be recorded');
      assert.equal(record.attempts, 1);
      assert.equal(record.last_status_code, 204);
      assert.equal(record.event_type, 'account.status_changed');
      assert.ok(record.delivered_at);
      assert.equal(typeof record.last_duration_ms, 'number');
    });

    test('a receiver that fails twice gets the event on the third attempt, with the same webhook-id each time', async () => {
      failNext = 2;
      const seen = receiver.received.length;
      await authorize('fiona');
      const first = await until(() => receiver.received.length > seen && receiver.received[seen], 'the first attempt');
      const eventId = String(first.headers['webhook-id']);
      let record = await until(async () => {
        const found = await delivery(eventId);
        return found?.attempts === 1 && found;
      }, 'the first failure to be recorded');
      assert.equal(record.status, 'pending');
      assert.equal(record.last_status_code, 503);
      assert.equal(record.last_error, 'HTTP_503');
      assert.equal(Date.parse(record.next_attempt_at) - Date.parse(record.last_attempt_at) - record.last_duration_ms, BASE_DELAY_MS);

      // Not due yet: nothing is sent.
      assert.equal(await server.server.webhooks.worker.runDue(), 0);
      offsetMs += BASE_DELAY_MS;
      assert.equal(await server.server.webhooks.worker.runDue(), 1);
      record = await delivery(eventId);
      assert.equal(record.attempts, 2);
      assert.equal(record.status, 'pending');
      assert.ok(Date.parse(record.next_attempt_at) >= now() + 2 * BASE_DELAY_MS - 50, 'the second retry waits twice as long');

      offsetMs += 2 * BASE_DELAY_MS;
      assert.equal(await server.server.webhooks.worker.runDue(), 1);
      record = await delivery(eventId);
      assert.equal(record.status, 'succeeded');
      assert.equal(record.attempts, 3);
      assert.equal(record.last_status_code, 204);

      const attempts = receiver.received.slice(seen).filter((r) => r.headers['webhook-id'] === eventId);
      assert.equal(attempts.length, 3);
      for (const attempt of attempts) assert.equal(verifyWebhook<any>(secret, attempt.headers, attempt.body, { now }).data.connected_account.identifier, 'fiona');
    });

    test('a restart between commit and delivery still delivers, also when a crashed instance held the lease', async () => {
      failNext = 1;
      const seen = receiver.received.length;
      await authorize('rita');
      const first = await until(() => receiver.received.length > seen && receiver.received[seen], 'the failed attempt');
      const eventId = String(first.headers['webhook-id']);
      await until(async () => (await delivery(eventId))?.attempts === 1, 'the failure to be recorded');

      earlierLogs.push(...server.logs);
      await server.close();
      // An instance that claimed the retry and died before recording anything: its lease must lapse first.
      const crashed = await openStore(database.options);
      const dueAt = now() + BASE_DELAY_MS;
      const stolen = await crashed.webhooks.claimDue('crashed-instance', dueAt, dueAt + 60_000, 10);
      assert.deepEqual(stolen.map((row) => row.event_id), [eventId]);
      await crashed.close();

      offsetMs += BASE_DELAY_MS;
      server = await startServer();
      assert.equal(await server.server.webhooks.worker.runDue(), 0, 'the lease is still held');
      offsetMs += 60_001;
      assert.equal(await server.server.webhooks.worker.runDue(), 1);
      const record = await delivery(eventId);
      assert.equal(record.status, 'succeeded');
      assert.equal(record.attempts, 2);
      const redelivered = receiver.received.slice(seen).filter((r) => r.headers['webhook-id'] === eventId);
      assert.equal(redelivered.length, 2);
      assert.equal(verifyWebhook<any>(secret, redelivered[1]!.headers, redelivered[1]!.body, { now }).data.connected_account.identifier, 'rita');
    });

    test('the SDK lists, replays (same webhook-id) and deletes; deliveries are refused for unknown ids', async () => {
      const client = new ToolproxyClient(server.url, server.clientId, server.clientSecret);
      const { endpoints } = await client.webhooks.list();
      assert.deepEqual(endpoints.map((e) => e.id), [endpointId]);
      const { deliveries } = await client.webhooks.listDeliveries(endpointId, { pageSize: 2 });
      assert.equal(deliveries.length, 2);
      assert.ok(deliveries[0]!.createdAt >= deliveries[1]!.createdAt, 'newest first');
      const target = deliveries[0]!;
      const seen = receiver.received.length;
      const replayed = await client.webhooks.replay(endpointId, target.id);
      assert.equal(replayed.eventId, target.eventId);
      const again = await until(() => receiver.received.length > seen && receiver.received[seen], 'the replay');
      assert.equal(again.headers['webhook-id'], target.eventId);
      verifyWebhook(secret, again.headers, again.body, { now });

      await assert.rejects(client.webhooks.replay(endpointId, 'dlv_nope'), { code: 'WEBHOOK_DELIVERY_NOT_FOUND' });
      await assert.rejects(client.webhooks.listDeliveries('whep_nope'), { code: 'WEBHOOK_NOT_FOUND' });
      const rotated = await client.webhooks.rotateSecret(endpointId);
      assert.notEqual(rotated.secret, secret);
      answers.push(JSON.stringify(await client.webhooks.get(endpointId)));
      secret = rotated.secret;
    });

    test('a URL the egress policy forbids is refused with UPSTREAM_ADDRESS_FORBIDDEN', async () => {
      for (const url of ['http://10.0.0.7/hook', 'https://169.254.169.254/latest', 'http://[::ffff:192.168.1.1]/x', 'http://0.0.0.0:8080/', 'https://[fd00::1]/h']) {
        const refused = await server.api('POST', '/api/v1/webhooks', { url });
        assert.equal(refused.status, 403, url);
        assert.equal(refused.body.error.code, 'UPSTREAM_ADDRESS_FORBIDDEN', url);
        assert.equal(refused.body.error.details.path, '/url');
      }
      const moved = await server.api('PATCH', `/api/v1/webhooks/${endpointId}`, { url: 'http://192.168.0.10/hook' });
      assert.equal(moved.body.error.code, 'UPSTREAM_ADDRESS_FORBIDDEN');
      assert.equal((await server.api('GET', `/api/v1/webhooks/${endpointId}`)).body.webhook.url, `${receiver.url}/hooks/toolproxy?tenant=t1`);
    });

    test('canary sweep: no credential or signing secret in any payload, delivery record, API answer, row or log line', async () => {
      // A bring-your-own-credentials account with a canary key, created and deleted with every event on.
      const all = await server.api('POST', '/api/v1/webhooks', { url: `${receiver.url}/all` });
      const allSecret: string = all.body.secret;
      const keyed = await server.api('POST', '/api/v1/custom-providers', {
        display_name: 'Keyed API',
        proxy_url: `${api.url}/v1`,
        auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }] }],
      });
      await server.api('POST', '/api/v1/connections', { name: 'keys', connector: keyed.body.provider.identifier });
      const account = await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'keys', identifier: 'canary-user', authorization_details: { static_auth: { details: { api_key: canary } } } });
      assert.equal(account.status, 201, account.text);
      // DISCONNECTED: the credentials are dropped, the account kept, and the app told.
      assert.equal((await server.api('POST', '/api/v1/connections/keys/connected_accounts/canary-user/disconnect')).status, 200);
      assert.equal((await server.api('DELETE', '/api/v1/connections/keys/connected_accounts/canary-user')).status, 204);
      const types = await until(() => {
        const got = receiver.received.filter((r) => r.url === '/all').map((r) => verifyWebhook<any>(allSecret, r.headers, r.body, { now }).type);
        return got.includes('account.deleted') && got;
      }, 'the created and deleted events');
      assert.deepEqual([...types].sort(), ['account.created', 'account.deleted', 'account.disconnected']);
      const disconnected = received('canary-user', allSecret).find(({ event }) => event.type === 'account.disconnected')!.event;
      assert.equal(disconnected.data.connected_account.status, 'DISCONNECTED');
      assert.equal(disconnected.data.connected_account.has_credentials, false);
      assert.equal(disconnected.data.actor.type, 'api_client');
      for (const id of [endpointId, all.body.webhook.id]) answers.push((await server.api('GET', `/api/v1/webhooks/${id}/deliveries?page_size=100`)).text);
      answers.push((await server.api('GET', '/api/v1/webhooks')).text);

      const rows = JSON.stringify([
        await server.server.store.db.selectFrom('webhook_events').selectAll().execute(),
        await server.server.store.db.selectFrom('webhook_deliveries').selectAll().execute(),
        await server.server.store.db.selectFrom('webhook_endpoints').selectAll().execute(),
      ]);
      const payloads = receiver.received.map((r) => `${JSON.stringify(r.headers)}\n${r.body.toString('utf8')}`);
      const createAnswers = answers.filter((text) => text.includes('"secret":"whsec_'));
      const sweep: Array<[string, string[]]> = [
        ['payloads', payloads],
        ['rows', [rows]],
        ['api answers', answers.filter((text) => !createAnswers.includes(text))],
        ['logs', [...earlierLogs, ...server.logs]],
      ];
      const secrets = [canary, ...issued, secret, allSecret, secret.slice('whsec_'.length), allSecret.slice('whsec_'.length)];
      for (const [where, texts] of sweep) {
        for (const value of secrets) assert.ok(!texts.some((text) => text.includes(value)), `a secret appears in ${where}`);
      }
      assert.ok(payloads.length >= 8 && answers.length > 10, 'the sweep covered real traffic');
    });
  });
}
