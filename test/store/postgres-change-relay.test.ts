import assert from 'node:assert/strict';
import { after, before, type TestContext, test } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import pg from 'pg';
import { type Change, ChangeFeed } from '../../src/changes.ts';
import { CHANGES_CHANNEL } from '../../src/store/change-messages.ts';
import { LISTENER_APPLICATION_NAME, type PostgresChangeRelay, startPostgresChangeRelay } from '../../src/store/postgres-change-relay.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases.ts';

/**
 * The relay that carries cache invalidations between instances sharing one Postgres database
 * (DESIGN.md §4), on a real Postgres: two relays with their own pools stand for two instances.
 */

let database: TestDatabase | undefined;
let url: string;

before(async () => {
  try {
    database = await createPostgresDatabase();
  } catch (error) {
    if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
    process.stderr.write('\n!!! Postgres not reachable: the change relay tests are SKIPPED\n\n');
    return;
  }
  if (database.options.kind !== 'postgres') throw new Error('expected Postgres');
  url = database.options.url;
});

after(async () => {
  await database?.cleanup();
});

interface Instance {
  feed: ChangeFeed;
  relay: PostgresChangeRelay;
  store: Store;
  /** What the local listeners heard, in order. */
  heard: Change[];
  logs: Array<{ level: string; msg: string; obj?: object }>;
  /** Statements the relay ran on the store's pool (its NOTIFYs). */
  statements: () => number;
}

async function startInstance(t: TestContext): Promise<Instance> {
  const store = await openStore(database!.options);
  const feed = new ChangeFeed();
  const heard: Change[] = [];
  feed.onAccountChanged((connectionName, identifier) => heard.push({ kind: 'account', connectionName, identifier }));
  feed.onConfigChanged(() => heard.push({ kind: 'config' }));
  const logs: Instance['logs'] = [];
  const log = {
    info: (msg: string) => logs.push({ level: 'info', msg }),
    warn: (obj: object, msg: string) => logs.push({ level: 'warn', msg, obj }),
    error: (obj: object, msg: string) => logs.push({ level: 'error', msg, obj }),
  };
  let statements = 0;
  const counting: KyselyPlugin = {
    transformQuery: (args) => (statements++, args.node),
    transformResult: async (args) => args.result,
  };
  const relay = await startPostgresChangeRelay({ url, db: store.db.withPlugin(counting), feed, log });
  t.after(async () => {
    await relay.close();
    await store.close();
  });
  // Connecting empties the caches once (nothing was heard before): start each test from silence.
  assert.deepEqual(heard, [{ kind: 'config' }]);
  heard.length = 0;
  return { feed, relay, store, heard, logs, statements: () => statements };
}

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const listenerPids = () =>
  withAdmin(async (client) =>
    (await client.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1 and datname = current_database() order by pid', [LISTENER_APPLICATION_NAME])).rows.map((row) => row.pid),
  );

const account = (connectionName: string, identifier: string): Change => ({ kind: 'account', connectionName, identifier });

test('a change made on one instance reaches the other, and the sender ignores its own echo', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  const a = await startInstance(t);
  const b = await startInstance(t);

  a.feed.accountChanged('crm', 'user_1');
  // The writer's own caches drop the entry synchronously, before any round trip.
  assert.deepEqual(a.heard, [account('crm', 'user_1')]);
  await waitFor('b hears the account change', () => b.heard.length === 1);
  assert.deepEqual(b.heard, [account('crm', 'user_1')]);

  b.feed.configChanged();
  // Postgres delivers to each listener in commit order: once a hears b's later change it has
  // seen (and ignored) the echo of its own earlier one.
  await waitFor('a hears the config change', () => a.heard.length === 2);
  assert.deepEqual(a.heard, [account('crm', 'user_1'), { kind: 'config' }]);
  assert.deepEqual(b.heard, [account('crm', 'user_1'), { kind: 'config' }]);
});

test('a burst of changes goes out in one batch and arrives in order', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  const a = await startInstance(t);
  const b = await startInstance(t);
  const sent = Array.from({ length: 50 }, (_, i) => account('crm', `user_${i}`));
  for (const change of sent) if (change.kind === 'account') a.feed.accountChanged(change.connectionName, change.identifier);
  await waitFor('b hears all 50', () => b.heard.length === 50);
  assert.deepEqual(b.heard, sent);
  assert.equal(a.statements(), 1, 'one NOTIFY statement, one pool connection');
});

test('more changes than the queue holds collapse into one drop-everything', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  const a = await startInstance(t);
  const b = await startInstance(t);
  for (let i = 0; i <= 1000; i++) a.feed.accountChanged('crm', `user_${i}`);
  a.feed.accountChanged('crm', 'after_the_collapse');
  // A marker sent later in its own batch: once b has it, b has everything sent before.
  await new Promise((resolve) => setTimeout(resolve, 50));
  a.feed.accountChanged('crm', 'marker');
  await waitFor('b hears the marker', () => b.heard.some((c) => c.kind === 'account' && c.identifier === 'marker'));
  assert.deepEqual(b.heard, [{ kind: 'config' }, account('crm', 'marker')]);
});

test('an account too large for a NOTIFY payload arrives as drop-everything', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  const a = await startInstance(t);
  const b = await startInstance(t);
  a.feed.accountChanged('crm', 'u'.repeat(9000));
  await waitFor('b hears it', () => b.heard.length === 1);
  assert.deepEqual(b.heard, [{ kind: 'config' }]);
  assert.deepEqual(a.logs.filter((l) => l.level === 'error'), [], 'the NOTIFY itself did not fail');
});

test('a malformed notification on the channel is logged and ignored; the listener keeps working', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  const a = await startInstance(t);
  const b = await startInstance(t);
  await withAdmin((client) => client.query('select pg_notify($1, $2)', [CHANGES_CHANNEL, '{"kind":"config"']));
  a.feed.accountChanged('crm', 'user_1');
  await waitFor('b hears the valid change', () => b.heard.length === 1);
  assert.deepEqual(b.heard, [account('crm', 'user_1')]);
  const warning = b.logs.find((l) => l.level === 'warn');
  assert.match(warning?.msg ?? '', /not ours/);
  assert.deepEqual(warning?.obj, { payloadBytes: 16 }, 'the payload itself is not logged');
});

test('the listener reconnects after its session is killed, and empties the caches on reconnect', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  const a = await startInstance(t);
  const b = await startInstance(t);
  const before = await listenerPids();
  assert.equal(before.length, 2);

  await withAdmin((client) => client.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database()', [LISTENER_APPLICATION_NAME]));
  // Whatever changed while the listener was gone cannot be known: everything is dropped.
  await waitFor('both reconnect', () => [a, b].every((i) => i.logs.filter((l) => l.msg.startsWith('listening')).length === 2));
  assert.deepEqual(b.heard, [{ kind: 'config' }]);
  assert.deepEqual(a.heard, [{ kind: 'config' }]);
  assert.match(b.logs.find((l) => l.level === 'warn')?.msg ?? '', /lost the change listener connection/);
  const after = await listenerPids();
  assert.equal(after.length, 2);
  assert.ok(after.every((pid) => !before.includes(pid)), 'new sessions');

  a.feed.accountChanged('crm', 'user_1');
  await waitFor('b hears changes again', () => b.heard.length === 2);
  assert.deepEqual(b.heard, [{ kind: 'config' }, account('crm', 'user_1')]);
});

test('closing sends what is still queued and ends the listener session', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  const a = await startInstance(t);
  const b = await startInstance(t);
  const pidsBefore = (await listenerPids()).length;
  a.feed.accountChanged('crm', 'last_words');
  await a.relay.close();
  await a.relay.close();
  await waitFor('b hears the queued change', () => b.heard.length === 1);
  assert.deepEqual(b.heard, [account('crm', 'last_words')]);
  await waitFor('a no longer listens', async () => (await listenerPids()).length === pidsBefore - 1);
  // After close, changes stay local.
  a.feed.accountChanged('crm', 'after_close');
  assert.deepEqual(a.heard, [account('crm', 'last_words'), account('crm', 'after_close')]);
});
