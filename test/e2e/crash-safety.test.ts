import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { credentialsBinding } from '../../src/accounts/accounts-service.ts';
import { openStore, type StoreOptions } from '../../src/store/store.ts';
import { loadKeyring } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { createPostgresDatabase, createSqliteDatabase, type TestDatabase } from '../helpers/databases.ts';
import { freePort } from '../helpers/server.ts';

/**
 * The crash loop, short: the real server process is SIGKILLed at a random moment while accounts
 * (with credentials), authorization links and hosted forms are being written, then started again
 * on the same database, a few times per store. Afterwards every write the server acknowledged is
 * there, every stored secret decrypts (to the value acknowledged), and SQLite's integrity check
 * passes. Rounds and their length are small on purpose: this runs in CI on every submission.
 */

const ROUNDS = 3;
const KEY = randomBytes(32).toString('base64');
const CLIENT = { id: 'crash-test', secret: randomBytes(24).toString('base64url') };
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

interface Acknowledged {
  /** identifier → the API key the server said it stored (201 or 200 from the hosted form). */
  credentials: Map<string, string>;
  /** identifiers whose account a magic link was issued for (the account exists from then on). */
  linked: Set<string>;
}

async function startServer(database: TestDatabase, dataDir: string, port: number): Promise<ChildProcess> {
  const options = database.options;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'fatal',
      TOOLPROXY_DATA_DIR: dataDir,
      TOOLPROXY_ENCRYPTION_KEY: KEY,
      TOOLPROXY_BOOTSTRAP_CLIENT_ID: CLIENT.id,
      TOOLPROXY_BOOTSTRAP_CLIENT_SECRET: CLIENT.secret,
      ...(options.kind === 'postgres' ? { DATABASE_URL: options.url } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('client_secret = ')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it listened:\n${out}`)));
  });
  return child;
}

/** A token, and on the first round the connector and connection the writers use. */
async function prepare(url: string, round: number): Promise<(path: string, body: unknown) => Promise<Response>> {
  const issued = await fetch(`${url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT.id, client_secret: CLIENT.secret }) });
  const headers = { authorization: `Bearer ${((await issued.json()) as { access_token: string }).access_token}`, 'content-type': 'application/json' };
  const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (round === 0) {
    const connector = await post('/api/v1/custom-providers', {
      display_name: 'Crash API',
      proxy_url: 'https://api.crash.example',
      auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }] }],
    });
    assert.equal(connector.status, 201);
    assert.equal((await post('/api/v1/connections', { name: 'crash', connector: 'crash-api' })).status, 201);
  }
  return post;
}

/**
 * Writers that run until the process dies and record what the server acknowledged; a write cut
 * by the kill rejects (connection reset) and is not recorded. `onAck` hears each acknowledgement.
 */
async function write(url: string, post: (path: string, body: unknown) => Promise<Response>, acked: Acknowledged, round: number, onAck: () => void): Promise<void> {
  const direct = async (writer: number) => {
    for (let i = 0; ; i++) {
      const identifier = `r${round}-w${writer}-direct-${i}`;
      const key = `sk_${randomBytes(12).toString('hex')}`;
      const response = await post('/api/v1/connected_accounts', { connection_name: 'crash', identifier, authorization_details: { static_auth: { details: { api_key: key } } } });
      assert.equal(response.status, 201);
      acked.credentials.set(identifier, key);
      onAck();
    }
  };
  const hosted = async (writer: number) => {
    for (let i = 0; ; i++) {
      const identifier = `r${round}-w${writer}-form-${i}`;
      const link = await post('/api/v1/connected_accounts/magic_link', { connection_name: 'crash', identifier });
      assert.equal(link.status, 200);
      acked.linked.add(identifier);
      const page = `${url}${new URL(((await link.json()) as { link: string }).link).pathname}`;
      const key = `sk_${randomBytes(12).toString('hex')}`;
      const submitted = await fetch(page, { method: 'POST', body: new URLSearchParams({ api_key: key }) });
      assert.equal(submitted.status, 200);
      acked.credentials.set(identifier, key);
      onAck();
    }
  };
  const results = await Promise.allSettled([direct(1), direct(2), hosted(3), hosted(4)]);
  // Only the kill may stop a writer: a refusal (an assertion) is a failure of its own.
  for (const result of results) if (result.status === 'rejected' && result.reason instanceof assert.AssertionError) throw result.reason;
}

/** Runs the loop; returns what was acknowledged and the database the server wrote (SQLite: in its data dir). */
async function crashLoop(database: TestDatabase): Promise<{ acked: Acknowledged; written: StoreOptions }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tp-crash-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const acked: Acknowledged = { credentials: new Map(), linked: new Set() };
  for (let round = 0; round < ROUNDS; round++) {
    const child = await startServer(database, dataDir, port);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const post = await prepare(url, round);
    let firstAck: () => void = () => undefined;
    const writing = new Promise<void>((resolve) => (firstAck = resolve));
    const done = write(url, post, acked, round, () => firstAck());
    // A random moment once writes are flowing.
    await writing;
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 500));
    child.kill('SIGKILL');
    await exited;
    await done;
  }
  return { acked, written: database.options.kind === 'sqlite' ? { kind: 'sqlite', path: join(dataDir, 'toolproxy.db') } : database.options };
}

async function verify(options: StoreOptions, acked: Acknowledged): Promise<void> {
  assert.ok(acked.credentials.size >= ROUNDS, `writes were acknowledged before each kill (${acked.credentials.size})`);
  const store = await openStore(options);
  try {
    const vault = new Vault(loadKeyring({ encryptionKey: KEY, dataDir: '/nonexistent' }));
    const rows = await store.db.selectFrom('connected_accounts').select(['id', 'identifier', 'credentials']).execute();
    const byIdentifier = new Map(rows.map((row) => [row.identifier, row]));
    for (const [identifier, key] of acked.credentials) {
      const row = byIdentifier.get(identifier);
      assert.ok(row?.credentials, `acknowledged credentials of ${identifier} are stored`);
      assert.deepEqual(vault.decryptJson(row.credentials, credentialsBinding(row.id)), { api_key: key });
    }
    for (const identifier of acked.linked) assert.ok(byIdentifier.has(identifier), `the account of an acknowledged link (${identifier}) exists`);
    // Every secret decrypts, acknowledged or not (a write the kill cut is all there or not at all).
    for (const row of rows) if (row.credentials) vault.decryptJson(row.credentials, credentialsBinding(row.id));
    if (options.kind === 'sqlite') {
      const { rows: check } = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(store.db);
      assert.deepEqual(check, [{ integrity_check: 'ok' }]);
    }
  } finally {
    await store.close();
  }
}

describe('SIGKILL while writing', () => {
  test(`SQLite: ${ROUNDS} kills lose no acknowledged write, every secret decrypts, integrity check ok`, async () => {
    const database = await createSqliteDatabase();
    cleanups.push(() => database.cleanup());
    const { acked, written } = await crashLoop(database);
    await verify(written, acked);
  });

  test(`Postgres: ${ROUNDS} kills lose no acknowledged write, every secret decrypts`, async (t) => {
    let database: TestDatabase;
    try {
      database = await createPostgresDatabase();
    } catch (error) {
      if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
      return t.skip('Postgres not reachable');
    }
    cleanups.push(() => database.cleanup());
    const { acked, written } = await crashLoop(database);
    await verify(written, acked);
  });
});
