import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { verifyWebhook } from '../../packages/sdk/src/index.ts';
import { EgressPolicy } from '../../src/proxy/egress-policy.ts';
import { Forwarder } from '../../src/proxy/forwarder.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { loadKeyring } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { DeliveryWorker } from '../../src/webhooks/delivery-worker.ts';
import { WebhookEndpoints } from '../../src/webhooks/endpoints-service.ts';
import { WebhookOutbox } from '../../src/webhooks/outbox.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * The outbox with several instances on one database: two workers (each with its own store
 * connection, as two servers have) drain the same deliveries at once and every event reaches the
 * receiver exactly once; the endpoint's event filter and `enabled` decide what is queued.
 */

const databases = await withTestDatabases();
const vault = new Vault(loadKeyring({ encryptionKey: randomBytes(32).toString('base64'), dataDir: '/nonexistent' }));
const log = { info: () => undefined, warn: () => undefined, error: (details: object, message: string) => assert.fail(`${message} ${JSON.stringify(details)}`) };

for (const database of databases) {
  describe(`webhook delivery across instances on ${database.name}`, () => {
    let stores: Store[];
    let forwarder: Forwarder;
    let receiver: Upstream;
    let now = Date.UTC(2026, 0, 1);
    const clock = () => now;

    before(async () => {
      receiver = await startUpstream((_request, response) => response.writeHead(200).end('ok'));
      stores = [await openStore(database.options), await openStore(database.options)];
      forwarder = new Forwarder({ connectTimeoutMs: 1000, headersTimeoutMs: 5000, bodyTimeoutMs: 5000, egress: new EgressPolicy({ allowCidrs: ['127.0.0.0/8'] }) });
    });
    after(async () => {
      await forwarder.close();
      for (const store of stores) await store.close();
      await receiver.close();
      await database.cleanup();
    });

    const worker = (store: Store, batchSize: number) =>
      new DeliveryWorker({ store, vault, clock, send: (request) => forwarder.send(request), log, userAgent: 'test', options: { batchSize, random: () => 0.5 } });

    test('two instances draining one outbox send each event exactly once', async () => {
      const endpoints = new WebhookEndpoints({ store: stores[0]!, vault, clock, egressAllows: (address) => address.startsWith('127.') });
      const { endpoint, secret } = await endpoints.create({ url: `${receiver.url}/hook` });
      // Never started: publishing only queues (its kick does nothing here).
      const outbox = new WebhookOutbox({ store: stores[0]!, clock, log, kick: () => undefined });
      const events = 40;
      for (let i = 0; i < events; i++) {
        await outbox.publish({ type: 'approval.requested', at: now, data: { approval: { id: `apr_${i}` } } });
      }
      const [a, b] = [worker(stores[0]!, 3), worker(stores[1]!, 4)];
      const counts = await Promise.all([a.runDue(), b.runDue()]);
      assert.equal(counts.reduce((x, y) => x + y, 0), events, `attempts by worker: ${counts.join(', ')}`);
      const ids = receiver.received.map((r) => verifyWebhook<{ approval: { id: string } }>(secret.reveal(), r.headers, r.body, { now: clock }).data.approval.id);
      assert.equal(ids.length, events);
      assert.equal(new Set(ids).size, events, 'no event was sent twice');
      const page = await endpoints.deliveries(endpoint.id, { pageSize: 100 });
      assert.ok(page.items.every((d) => d.status === 'succeeded' && d.attempts === 1 && d.last_status_code === 200));
      assert.equal(await a.runDue(), 0);
    });

    test('the event filter and enabled decide which endpoints get a delivery', async () => {
      const endpoints = new WebhookEndpoints({ store: stores[0]!, vault, clock, egressAllows: () => true });
      const wanted = await endpoints.create({ url: `${receiver.url}/deleted`, events: ['account.deleted'] });
      const disabled = await endpoints.create({ url: `${receiver.url}/off`, enabled: false });
      const outbox = new WebhookOutbox({ store: stores[0]!, clock, log, kick: () => undefined });
      const queued = await outbox.publish({ type: 'account.created', at: now, data: {} });
      assert.ok(!queued.some((d) => d.endpoint_id === wanted.endpoint.id || d.endpoint_id === disabled.endpoint.id));
      const deleted = await outbox.publish({ type: 'account.deleted', at: now, data: {} });
      assert.ok(deleted.some((d) => d.endpoint_id === wanted.endpoint.id));
      assert.ok(!deleted.some((d) => d.endpoint_id === disabled.endpoint.id));
      await endpoints.delete(wanted.endpoint.id);
      await assert.rejects(endpoints.deliveries(wanted.endpoint.id, { pageSize: 10 }), { code: 'WEBHOOK_NOT_FOUND' });
      assert.equal((await stores[0]!.db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', wanted.endpoint.id).execute()).length, 0);
      now += 1;
    });

    test('a delivery queued for an endpoint deleted at that moment is accepted, then given up', async () => {
      const at = now;
      const row = { id: `dlv_gone_${database.name}`, event_id: `evt_gone_${database.name}`, endpoint_id: 'whep_deleted', status: 'pending' as const, attempts: 0, next_attempt_at: at, lease_owner: null, lease_until: null, last_status_code: null, last_error: null, last_attempt_at: null, last_duration_ms: null, delivered_at: null, created_at: at };
      await stores[0]!.webhooks.enqueue({ id: row.event_id, type: 'account.created', payload: '{}', created_at: at }, [row]);
      await worker(stores[0]!, 10).runDue();
      const stored = await stores[0]!.webhooks.findDelivery('whep_deleted', row.id);
      assert.equal(stored?.status, 'failed');
      assert.equal(stored?.last_error, 'WEBHOOK_NOT_FOUND');
      assert.equal(stored?.attempts, 1);
    });

    test('approval events: written in the approval\'s transaction, sent without the query string', async () => {
      const endpoints = new WebhookEndpoints({ store: stores[0]!, vault, clock, egressAllows: () => true });
      const { secret } = await endpoints.create({ url: `${receiver.url}/approvals`, events: ['approval.requested', 'approval.decided'] });
      const outbox = new WebhookOutbox({ store: stores[0]!, clock, log, kick: () => undefined });
      const approval = { id: 'apr_1', connection_name: 'github', identifier: 'u1', method: 'POST', path: '/repos/x/issues?access_token=canary', status: 'PENDING' };
      await stores[0]!.transaction(async (repos) => outbox.approvals.write(repos, { type: 'approval.requested', approval, actor: { type: 'api_client', id: 'cli_1' }, at: now }));
      await outbox.publishApproval({ type: 'approval.decided', approval: { ...approval, status: 'APPROVED', decision: 'approved' }, actor: { type: 'dashboard', id: 'ops' }, at: now });
      await worker(stores[0]!, 10).runDue();
      const got = receiver.received.filter((r) => r.url === '/approvals').map((r) => verifyWebhook<any>(secret.reveal(), r.headers, r.body, { now: clock }));
      assert.deepEqual(got.map((e) => [e.type, e.data.approval.path, e.data.approval.decision ?? null, e.data.actor.type]).sort(), [
        ['approval.decided', '/repos/x/issues', 'approved', 'dashboard'],
        ['approval.requested', '/repos/x/issues', null, 'api_client'],
      ]);
      assert.ok(!receiver.received.some((r) => r.body.toString().includes('canary')));
    });

    test('finished deliveries and their events are removed after the retention period; pending ones stay', async () => {
      const count = async (table: 'webhook_deliveries' | 'webhook_events') => (await stores[1]!.db.selectFrom(table).select('id').execute()).length;
      assert.ok((await count('webhook_deliveries')) > 40);
      const outbox = new WebhookOutbox({ store: stores[1]!, clock, log, kick: () => undefined });
      now += 31 * 24 * 3_600_000;
      // Its receiver is gone: queued now, still pending after the run.
      const endpoints = new WebhookEndpoints({ store: stores[1]!, vault, clock, egressAllows: () => true });
      await endpoints.create({ url: 'http://127.0.0.1:9/closed', events: ['account.status_changed'] });
      // The first test's endpoint (every event) gets it too, and delivers it: recent, so kept.
      const fresh = await outbox.publish({ type: 'account.status_changed', at: now, data: {} });
      assert.equal(fresh.length, 2);
      await worker(stores[1]!, 50).runDue();
      assert.equal(await count('webhook_events'), 1);
      const rows = await stores[1]!.db.selectFrom('webhook_deliveries').selectAll().orderBy('status').execute();
      assert.deepEqual(rows.map((r) => r.id).sort(), fresh.map((d) => d.id).sort());
      assert.deepEqual(rows.map((r) => [r.status, r.last_error]), [['pending', 'UPSTREAM_UNREACHABLE'], ['succeeded', null]]);
    });
  });
}
