import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type ProxyCallRecord, RequestLog } from '../../src/proxy/request-log.ts';
import { bucketize, percentile } from '../../src/proxy/request-log-stats.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { type TestDatabase, withTestDatabases } from '../helpers/databases.ts';

/** The request log service and its repository, on SQLite and on Postgres. */

const call = (overrides: Partial<ProxyCallRecord> = {}): ProxyCallRecord => ({
  startedAt: 1_000,
  connectionName: 'crm',
  accountId: null,
  method: 'GET',
  path: '/v1/customers?limit=…',
  status: 200,
  latencyMs: 12.4,
  bytesIn: 0,
  bytesOut: 512,
  errorCode: null,
  ...overrides,
});

const databases: TestDatabase[] = await withTestDatabases();

for (const database of databases) {
  describe(`request log on ${database.name}`, () => {
    let store: Store;
    let now = 0;
    const errors: unknown[] = [];
    const log = (maxRows = 1_000, maxAgeMs = 3_600_000) =>
      new RequestLog({ store, clock: () => now, maxRows, maxAgeMs, onError: (error) => errors.push(error), flushIntervalMs: 3_600_000, pruneIntervalMs: 3_600_000 });

    before(async () => {
      store = await openStore(database.options);
    });
    after(async () => {
      await store.close();
      await database.cleanup();
    });

    test('records off the hot path and lists newest first, in pages, with every field', async () => {
      const requestLog = log();
      for (let i = 0; i < 7; i++) requestLog.record(call({ startedAt: 10_000 + i, status: 200 + i, bytesIn: i, latencyMs: i + 0.6 }));
      const first = await requestLog.list({}, 3);
      assert.deepEqual(first.entries.map((e) => e.status), [206, 205, 204]);
      const entry = first.entries[0]!;
      assert.deepEqual({ ...entry, id: 'x' }, {
        id: 'x',
        created_at: new Date(10_006).toISOString(),
        connection_name: 'crm',
        identifier: null,
        account_id: null,
        method: 'GET',
        path: '/v1/customers?limit=…',
        status: 206,
        latency_ms: 7,
        bytes_in: 6,
        bytes_out: 512,
        error_code: null,
        door: 'proxy',
        tool_name: null,
        execution_id: null,
        actor: null,
      });
      const rest = await requestLog.list({ before: Number(first.next_before) }, 10);
      assert.deepEqual(rest.entries.map((e) => e.status), [203, 202, 201, 200]);
      assert.equal(rest.next_before, null);
      await requestLog.close();
      assert.deepEqual(errors, []);
    });

    test('filters by status kinds and connection', async () => {
      await store.db.deleteFrom('request_log').execute();
      const requestLog = log();
      requestLog.record(call({ status: 200 }));
      requestLog.record(call({ status: 200, errorCode: 'UPSTREAM_BODY_TIMEOUT' }));
      requestLog.record(call({ status: 404, connectionName: 'billing' }));
      requestLog.record(call({ status: 503 }));
      const statuses = async (filter: Parameters<RequestLog['list']>[0]) => (await requestLog.list(filter, 50)).entries.map((e) => e.status);
      assert.deepEqual(await statuses({ status: { kind: 'error' } }), [503, 404, 200]);
      assert.deepEqual(await statuses({ status: { kind: 'success' } }), [200]);
      assert.deepEqual(await statuses({ status: { kind: 'range', from: 500, to: 600 } }), [503]);
      assert.deepEqual(await statuses({ status: { kind: 'exact', status: 404 } }), [404]);
      assert.deepEqual(await statuses({ connectionName: 'billing' }), [404]);
      await requestLog.close();
    });

    test('keeps the door, tool, execution and actor of each call (0004-pipeline) and filters by them', async () => {
      await store.db.deleteFrom('request_log').execute();
      const requestLog = log();
      const actor = { type: 'api_client', id: 'tpc_abc' } as const;
      requestLog.record(call({ status: 200 }));
      requestLog.record(call({ status: 201, door: 'tool', toolName: 'create_customer', executionId: 'exec_1', actor }));
      requestLog.record(call({ status: 202, door: 'mcp', toolName: 'create_customer', executionId: 'exec_2', actor: { type: 'mcp_client', id: 'https://agent.example/client:9' } }));
      requestLog.record(call({ status: 203, door: 'tool', toolName: 'list_invoices', executionId: 'exec_3', actor }));
      const listed = (await requestLog.list({}, 50)).entries;
      assert.deepEqual(listed.map((e) => [e.status, e.door, e.tool_name, e.execution_id, e.actor]), [
        [203, 'tool', 'list_invoices', 'exec_3', actor],
        [202, 'mcp', 'create_customer', 'exec_2', { type: 'mcp_client', id: 'https://agent.example/client:9' }],
        [201, 'tool', 'create_customer', 'exec_1', actor],
        [200, 'proxy', null, null, null],
      ]);
      const statuses = async (filter: Parameters<RequestLog['list']>[0]) => (await requestLog.list(filter, 50)).entries.map((e) => e.status);
      assert.deepEqual(await statuses({ door: 'tool' }), [203, 201]);
      assert.deepEqual(await statuses({ door: 'proxy' }), [200]);
      assert.deepEqual(await statuses({ toolName: 'create_customer' }), [202, 201]);
      assert.deepEqual(await statuses({ door: 'tool', toolName: 'create_customer' }), [201]);
      assert.deepEqual(await statuses({ executionId: 'exec_3' }), [203]);
      // Rows of both doors interleaved in one batch keep the order they were recorded in.
      for (let i = 0; i < 6; i++) requestLog.record(call({ status: 210 + i, ...(i % 2 === 1 ? { door: 'tool', toolName: 't', executionId: `x${i}` } : {}) }));
      assert.deepEqual((await statuses({})).slice(0, 6), [215, 214, 213, 212, 211, 210]);
      await requestLog.close();
    });

    test('retention: prune keeps the newest maxRows and drops entries older than maxAge', async () => {
      await store.db.deleteFrom('request_log').execute();
      const requestLog = log(5, 60_000);
      now = 100_000;
      for (let i = 0; i < 8; i++) requestLog.record(call({ startedAt: 100_000 + i, status: 200 + i }));
      assert.equal(await requestLog.prune(), 3);
      assert.deepEqual((await requestLog.list({}, 50)).entries.map((e) => e.status), [207, 206, 205, 204, 203]);
      now = 100_000 + 60_000 + 5;
      assert.equal(await requestLog.prune(), 2, 'the two entries older than a minute');
      assert.deepEqual((await requestLog.list({}, 50)).entries.map((e) => e.status), [207, 206, 205]);
      await requestLog.close();
    });

    test('a burst of 1,200 entries is written in several statements', async () => {
      await store.db.deleteFrom('request_log').execute();
      const requestLog = log(10_000);
      for (let i = 0; i < 1_200; i++) requestLog.record(call({ startedAt: i }));
      await requestLog.flush();
      const count = await store.db.selectFrom('request_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1_200);
      await requestLog.close();
    });

    test('stats: the last bucket holds now; counts, errors and percentiles per bucket', async () => {
      await store.db.deleteFrom('request_log').execute();
      const requestLog = log();
      now = 10 * 60_000 + 30_000; // 00:10:30
      for (const [minute, latency, status] of [[8, 10, 200], [8, 30, 502], [9, 5, 200], [10, 7, 200], [2, 1, 200]] as const) {
        requestLog.record(call({ startedAt: minute * 60_000 + 1_000, latencyMs: latency, status }));
      }
      const buckets = await requestLog.stats(3 * 60_000, 60_000);
      assert.deepEqual(buckets.map((b) => [b.start.slice(11, 19), b.count, b.errors, b.p50_ms, b.p99_ms]), [
        ['00:08:00', 2, 1, 10, 30],
        ['00:09:00', 1, 0, 5, 5],
        ['00:10:00', 1, 0, 7, 7],
      ]);
      await requestLog.close();
    });

    test('maxRows 0 turns the log off: nothing is kept', async () => {
      await store.db.deleteFrom('request_log').execute();
      const requestLog = log(0);
      assert.equal(requestLog.enabled, false);
      requestLog.record(call());
      await requestLog.flush();
      assert.deepEqual((await requestLog.list({}, 10)).entries, []);
      await requestLog.close();
    });
  });
}

describe('bucketize and percentile (pure)', () => {
  test('nearest-rank percentiles', () => {
    assert.equal(percentile([], 0.5), null);
    assert.equal(percentile([7], 0.99), 7);
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
    assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99), 99);
  });

  test('property: every sample inside the range lands in exactly one bucket; p50 ≤ p99', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ created_at: fc.integer({ min: 0, max: 9_999 }), status: fc.constantFrom(200, 404, 503), latency_ms: fc.nat(5_000), error_code: fc.constantFrom(null, 'UPSTREAM_ERROR') }), { maxLength: 200 }),
        (samples) => {
          const buckets = bucketize(samples, 0, 9_000, 1_000);
          assert.equal(buckets.length, 10);
          assert.equal(buckets.reduce((sum, b) => sum + b.count, 0), samples.length);
          assert.equal(buckets.reduce((sum, b) => sum + b.errors, 0), samples.filter((s) => s.status >= 400 || s.error_code !== null).length);
          for (const b of buckets) assert.ok(b.count === 0 ? b.p50_ms === null : b.p50_ms! <= b.p99_ms!);
        },
      ),
    );
  });
});
