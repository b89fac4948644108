import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { exportLines, parseExportRange } from '../../src/audit/audit-export.ts';
import { type AuditRepository, auditRepository } from '../../src/audit/audit-repository.ts';
import { type AuditLog, AuditTrail, type AuditTrailOptions } from '../../src/audit/audit-trail.ts';
import { ToolproxyError } from '../../src/errors.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { type TestDatabase, withTestDatabases } from '../helpers/databases.ts';

/** The chain, verify, retention, export and back-pressure, on the real SQLite and Postgres. */

const databases: TestDatabase[] = await withTestDatabases();
const quiet: AuditLog = { warn: () => undefined, error: () => undefined };

for (const database of databases) {
  describe(`audit chain on ${database.name}`, () => {
    let store: Store;
    let db: Kysely<any>;
    let now = 1_000_000;

    const trail = (options: Partial<AuditTrailOptions> = {}, repository?: AuditRepository, log = quiet) =>
      new AuditTrail({ repository: repository ?? auditRepository(store.db, store.dialect), clock: () => now, log, options: { flushIntervalMs: 3_600_000, ...options } });
    const record = (audit: AuditTrail, n: number, action = 'connector.create') => {
      for (let i = 0; i < n; i++) audit.record({ action, target: { type: 'connector', id: `c${i}` }, actor: { type: 'api_client', id: 'tpc_1' }, details: { n: i } });
    };
    const reset = async () => {
      await db.deleteFrom('audit_entries').execute();
      await db.updateTable('audit_chain').set({ last_seq: 0, last_hash: '0'.repeat(64), pruned_seq: 0, pruned_hash: '0'.repeat(64), pruned_at: null }).execute();
    };

    before(async () => {
      store = await openStore(database.options);
      db = store.db as unknown as Kysely<any>;
    });
    after(async () => {
      await store.close();
      await database.cleanup();
    });

    test('entries are chained 1, 2, 3 … and verify from genesis to the head', async () => {
      await reset();
      const audit = trail({ batchSize: 7 });
      record(audit, 20);
      await audit.flush();
      const result = await audit.verify();
      assert.equal(result.ok, true);
      assert.equal(result.checked, 20);
      assert.equal(result.last_seq, 20);
      const rows = await db.selectFrom('audit_entries').selectAll().orderBy('seq').execute();
      assert.deepEqual(rows.map((r) => Number(r.seq)), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.equal(rows[0].prev_hash, '0'.repeat(64));
      for (let i = 1; i < rows.length; i++) assert.equal(rows[i].prev_hash, rows[i - 1].hash);
      assert.equal(rows[3].details, '{"n":3}');
      await audit.close();
    });

    test('an edited row makes verify fail and name it', async () => {
      await reset();
      const audit = trail();
      record(audit, 10);
      await audit.flush();
      await db.updateTable('audit_entries').set({ outcome: 'CONNECTOR_INVALID' }).where('seq', '=', 4).execute();
      const result = await audit.verify();
      assert.equal(result.ok, false);
      assert.deepEqual({ seq: result.first_bad?.seq, reason: result.first_bad?.reason }, { seq: 4, reason: 'edited' });
    });

    test('an edited row whose hash was recomputed breaks the link to the next one', async () => {
      await reset();
      const audit = trail();
      record(audit, 10);
      await audit.flush();
      await db.updateTable('audit_entries').set({ hash: 'f'.repeat(64) }).where('seq', '=', 6).execute();
      const result = await audit.verify();
      assert.deepEqual({ seq: result.first_bad?.seq, reason: result.first_bad?.reason }, { seq: 6, reason: 'edited' });
    });

    test('a deleted row is named as missing; a deleted newest row as truncated', async () => {
      await reset();
      const audit = trail();
      record(audit, 10);
      await audit.flush();
      await db.deleteFrom('audit_entries').where('seq', '=', 5).execute();
      let result = await audit.verify();
      assert.deepEqual({ seq: result.first_bad?.seq, reason: result.first_bad?.reason, checked: result.checked }, { seq: 5, reason: 'missing', checked: 4 });
      await reset();
      record(audit, 10);
      await audit.flush();
      await db.deleteFrom('audit_entries').where('seq', '=', 10).execute();
      result = await audit.verify();
      assert.deepEqual({ seq: result.first_bad?.seq, reason: result.first_bad?.reason }, { seq: 10, reason: 'truncated' });
    });

    test('reordered rows (two entries swap places) are named at the first swapped seq', async () => {
      await reset();
      const audit = trail();
      record(audit, 10);
      await audit.flush();
      await db.updateTable('audit_entries').set({ seq: -3 }).where('seq', '=', 3).execute();
      await db.updateTable('audit_entries').set({ seq: 3 }).where('seq', '=', 7).execute();
      await db.updateTable('audit_entries').set({ seq: 7 }).where('seq', '=', -3).execute();
      const result = await audit.verify();
      assert.deepEqual({ seq: result.first_bad?.seq, reason: result.first_bad?.reason }, { seq: 3, reason: 'edited' });
    });

    test('retention removes the oldest whole prefix, keeps a checkpoint, and the rest still verifies', async () => {
      await reset();
      const day = 86_400_000;
      const audit = trail({ retentionMs: 30 * day, pruneIntervalMs: 3_600_000 });
      now = 1_000 * day;
      record(audit, 5);
      now += 20 * day;
      record(audit, 5);
      await audit.flush();
      now += 15 * day; // the first five are 35 days old, the others 15
      assert.equal(await audit.prune(), 5);
      const head = await audit.repository.head();
      assert.equal(head.pruned_seq, 5);
      const result = await audit.verify();
      assert.deepEqual({ ok: result.ok, from: result.from_seq, checked: result.checked }, { ok: true, from: 5, checked: 5 });
      // Tampering with the first kept entry is still found.
      await db.deleteFrom('audit_entries').where('seq', '=', 6).execute();
      assert.deepEqual((await audit.verify()).first_bad?.seq, 6);
      await audit.close();
    });

    test('export: a time range as JSON Lines and CSV, in seq order, with bad input listed', async () => {
      await reset();
      const audit = trail();
      now = 5_000;
      record(audit, 3);
      now = 9_000;
      audit.record({ action: 'connector.update', target: { type: 'connector', id: 'crm, "=cmd"' } });
      await audit.flush();
      const collect = async (format: string, from = '4000', to = '10000') => {
        let out = '';
        for await (const chunk of exportLines(audit.repository, parseExportRange(from, to, format))) out += chunk;
        return out;
      };
      const jsonl = (await collect('jsonl')).trim().split('\n').map((line) => JSON.parse(line));
      assert.deepEqual(jsonl.map((e) => e.seq), [1, 2, 3, 4]);
      assert.deepEqual(jsonl[0].actor, { type: 'api_client', id: 'tpc_1' });
      assert.equal(jsonl[3].actor.type, 'system');
      assert.equal(jsonl[3].at, new Date(9_000).toISOString());
      assert.deepEqual((await collect('jsonl', '8000', '10000')).trim().split('\n').map((line) => JSON.parse(line).seq), [4]);
      const csv = (await collect('csv')).split('\r\n');
      assert.equal(csv[0], 'seq,at,actor_type,actor_id,action,target_type,target_id,outcome,status,details,prev_hash,hash');
      assert.equal(csv.length, 6);
      assert.match(csv[4]!, /,"crm, ""=cmd""",/);
      assert.match(csv[1]!, /,"\{""n"":0\}",/);
      assert.throws(() => parseExportRange('yesterday', '1000', 'xml'), (error: ToolproxyError) => {
        assert.equal(error.code, 'AUDIT_RANGE_INVALID');
        assert.deepEqual((error.details as { problems: { path: string }[] }).problems.map((p) => p.path), ['/from', '/format']);
        return true;
      });
      assert.throws(() => parseExportRange('2000', '1000', 'csv'), (error: ToolproxyError) => error.code === 'AUDIT_RANGE_INVALID');
      await audit.close();
    });

    test('a store that fails keeps every entry queued, holds proxied calls, then refuses them; nothing is dropped', async () => {
      await reset();
      const real = auditRepository(store.db, store.dialect);
      let failing = true;
      const flaky: AuditRepository = { ...real, append: (entries) => (failing ? Promise.reject(new Error('database down')) : real.append(entries)) };
      const lines: string[] = [];
      const audit = trail({ maxPending: 5, holdMs: 30 }, flaky, { warn: (_o: object, m: string) => void lines.push(m), error: (_o: object, m: string) => void lines.push(m) });
      record(audit, 5);
      await assert.rejects(audit.flush(), /database down/);
      assert.equal(audit.pending, 5);
      // Full: a proxied call is held, then refused with AUDIT_UNAVAILABLE (503).
      const held = audit.admit();
      assert.ok(held instanceof Promise);
      await assert.rejects(held, (error: ToolproxyError) => error.code === 'AUDIT_UNAVAILABLE' && error.statusCode === 503);
      assert.equal(audit.stats.refused, 1);
      assert.ok(lines.some((line) => line.includes('queue full')), lines.join('\n'));
      assert.ok(lines.some((line) => line.includes('could not be written')));
      // Changes are never refused: they queue beyond the limit.
      record(audit, 2, 'connection.update');
      assert.equal(audit.pending, 7);
      // A call held while the store comes back goes through once a flush made room.
      const waiting = audit.admit();
      failing = false;
      await audit.flush();
      await waiting;
      assert.equal(audit.admit(), undefined);
      assert.equal(audit.pending, 0);
      const result = await audit.verify();
      assert.deepEqual({ ok: result.ok, checked: result.checked }, { ok: true, checked: 7 });
      await audit.close();
    });

    test('a flush ends once what was recorded before it is written, though entries keep arriving', async () => {
      await reset();
      const audit = trail({ batchSize: 10 });
      record(audit, 30);
      let done = false;
      void audit.flush().then(() => (done = true));
      let more = 0;
      const deadline = Date.now() + 10_000;
      while (!done && Date.now() < deadline) {
        record(audit, 5, 'proxy.call');
        more += 5;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.ok(done, 'the flush waited for entries recorded after it');
      assert.ok(audit.stats.written >= 30);
      await audit.close();
      assert.equal((await audit.verify()).checked, 30 + more);
    });

    test('several appenders on one database keep one chain (the head is locked per append)', async () => {
      await reset();
      // Postgres: separate stores (pools), as separate instances have. SQLite serves one instance
      // (better-sqlite3 blocks its thread on a locked file): several trails share its connection.
      const others = database.name === 'postgres' ? await Promise.all([openStore(database.options), openStore(database.options)]) : [];
      try {
        const stores = others.length > 0 ? [store, ...others] : [store, store, store];
        const trails = stores.map((s) => trail({ batchSize: 50 }, auditRepository(s.db, s.dialect)));
        const perTrail = 1_000;
        const started = performance.now();
        await Promise.all(
          trails.map(async (audit, t) => {
            for (let round = 0; round < 10; round++) {
              record(audit, perTrail / 10, `t${t}.write`);
              await audit.flush();
            }
          }),
        );
        const ms = performance.now() - started;
        const result = await trails[0]!.verify();
        assert.deepEqual({ ok: result.ok, checked: result.checked }, { ok: true, checked: 3 * perTrail });
        const count = await db.selectFrom('audit_entries').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(count.n), 3 * perTrail);
        process.stdout.write(`# ${database.name}: 3 appenders × ${perTrail} entries in batches of ${perTrail / 10}: ${ms.toFixed(0)} ms (${((3 * perTrail) / (ms / 1000)).toFixed(0)} entries/s)\n`);
        for (const audit of trails) await audit.close();
      } finally {
        for (const other of others) await other.close();
      }
    });
  });
}
