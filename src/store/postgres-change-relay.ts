import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Change, ChangeFeed } from '../changes.ts';
import { CHANGES_CHANNEL, decodeChange, encodeChange } from './change-messages.ts';
import type { Database } from './schema.ts';

/** The few log calls the relay makes (a pino logger fits). */
export interface RelayLog {
  info(msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ChangeRelayOptions {
  /** The database the store uses; the listener opens its own session on it. */
  url: string;
  /** The store's pool, which the NOTIFYs go out on. */
  db: Kysely<Database>;
  feed: ChangeFeed;
  log: RelayLog;
}

/** How the listener's backend shows in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'toolproxy-change-listener';

/** Past this many unsent changes, one "drop everything" replaces them. */
const MAX_PENDING = 1000;
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 30_000;

/** Starts relaying `feed` through Postgres; rejects when the first LISTEN fails, so boot fails loudly. */
export async function startPostgresChangeRelay(options: ChangeRelayOptions): Promise<PostgresChangeRelay> {
  const relay = new PostgresChangeRelay(options);
  await relay.start();
  return relay;
}

/**
 * Carries cache invalidations between the instances sharing one Postgres database (DESIGN.md §4):
 * every local change is sent with pg_notify, and a dedicated session LISTENs for the others'.
 *
 * Publishing is fire-and-forget after the write committed, not part of its transaction: the
 * services announce a change only once the write has succeeded, a NOTIFY sent after the commit
 * can only make the others re-read committed data, and a failed NOTIFY must not turn a write
 * that happened into an error for its caller. What a lost NOTIFY costs is bounded by the account
 * cache TTL. At most one NOTIFY statement is in flight (changes queue up meanwhile and go out as
 * one batch), so a burst of writes takes one pool connection from the proxy, not ten.
 */
export class PostgresChangeRelay {
  /** Tells this instance its own notifications apart; new on every start. */
  readonly instanceId = randomUUID();
  readonly #url: string;
  readonly #db: Kysely<Database>;
  readonly #feed: ChangeFeed;
  readonly #log: RelayLog;
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #pending: Change[] = [];
  #flushing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ChangeRelayOptions) {
    this.#url = options.url;
    this.#db = options.db;
    this.#feed = options.feed;
    this.#log = options.log;
  }

  async start(): Promise<void> {
    await (this.#connecting = this.#listen());
    this.#feed.publishTo((change) => this.#publish(change));
  }

  /** Sends what is still queued, stops listening and reconnecting (idempotent). */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      clearTimeout(this.#reconnectTimer);
      await this.#connecting?.catch(() => undefined);
      await this.#flushing;
      const client = this.#client;
      this.#client = undefined;
      await client?.end();
    })());
  }

  async #listen(): Promise<void> {
    // Its own session, not one from the pool: LISTEN belongs to a session, and a pooled
    // connection goes back to other queries. keepAlive lets the OS notice a dead peer.
    const client = new pg.Client({ connectionString: this.#url, application_name: LISTENER_APPLICATION_NAME, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on('notification', (message) => this.#receive(message));
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('the listener connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closing) {
      await client.end();
      return;
    }
    this.#client = client;
    this.#failures = 0;
    // Whatever the others changed while nobody here listened went unheard: drop every cached entry.
    this.#feed.emitLocally({ kind: 'config' });
    this.#log.info('listening for changes made by other instances');
  }

  #lost(client: pg.Client, err: Error): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    void client.end().catch(() => undefined);
    if (this.#closing) return;
    this.#log.warn({ err }, 'lost the change listener connection; reconnecting');
    this.#reconnectLater();
  }

  #reconnectLater(): void {
    const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.min(this.#failures, 20));
    this.#failures++;
    // Jitter: after a Postgres restart, the instances do not all come back in the same instant.
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connecting = this.#listen().catch((err: unknown) => {
        if (this.#closing) return;
        this.#log.warn({ err }, 'could not reconnect the change listener; retrying');
        this.#reconnectLater();
      });
    }, delay);
  }

  #receive(message: pg.Notification): void {
    if (message.channel !== CHANGES_CHANNEL || message.payload === undefined) return;
    const received = decodeChange(message.payload);
    if (!received) {
      this.#log.warn({ payloadBytes: Buffer.byteLength(message.payload) }, 'ignored a change notification that is not ours');
      return;
    }
    // Our own writes invalidated the local caches synchronously already.
    if (received.instance === this.instanceId) return;
    try {
      this.#feed.emitLocally(received.change);
    } catch (err) {
      this.#log.error({ err }, 'a change listener failed');
    }
  }

  #publish(change: Change): void {
    if (this.#closing) return;
    // A config change drops everything at the receivers, so it covers every change queued with it.
    if (change.kind === 'config' || this.#pending.length >= MAX_PENDING) this.#pending = [{ kind: 'config' }];
    else if (this.#pending[0]?.kind !== 'config') this.#pending.push(change);
    this.#flushing ??= this.#flush();
  }

  async #flush(): Promise<void> {
    // Changes announced in the same tick go out in one statement.
    await Promise.resolve();
    while (this.#pending.length > 0) {
      const payloads = this.#pending.splice(0).map((change) => encodeChange(change, this.instanceId));
      try {
        await sql`select pg_notify(${CHANGES_CHANNEL}, payload) from unnest(${payloads}::text[]) as payload`.execute(this.#db);
      } catch (err) {
        this.#log.error({ err }, 'could not tell the other instances about a change; they see it when their account cache expires');
      }
    }
    this.#flushing = undefined;
  }
}
