import type { Clock } from '../clock.ts';
import type { NewRequestLogRow, RequestLogFilter } from '../store/repositories.ts';
import type { Actor } from '../actor.ts';
import type { Store } from '../store/store.ts';
import { bucketize, type StatsBucket } from './request-log-stats.ts';

/**
 * The front door a call came through (DESIGN.md §9): raw `/proxy`, tool execution, MCP
 * `tools/call`, or `approval`: an approved call run by its approver (docs/approvals.md).
 */
export type Door = 'proxy' | 'tool' | 'mcp' | 'approval';

/** One proxied call as the pipeline saw it. `path` has no query values (`/v1/customers?limit=…`). */
export interface ProxyCallRecord {
  /** Epoch ms when the call arrived. */
  startedAt: number;
  /** The connection_name header as sent (the call may have failed before it resolved). */
  connectionName: string;
  accountId: string | null;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
  /** Our error code (catalogue code, or CLIENT_CLOSED when the caller went away); null when the upstream answered. */
  errorCode: string | null;
  /** The front door; `proxy` when absent. */
  door?: Door;
  /** Tool and MCP calls: the tool and this execution of it. */
  toolName?: string | null;
  executionId?: string | null;
  actor?: Actor | null;
}

export interface RequestLogEntry {
  id: string;
  created_at: string;
  connection_name: string;
  identifier: string | null;
  account_id: string | null;
  method: string;
  path: string;
  status: number;
  latency_ms: number;
  bytes_in: number;
  bytes_out: number;
  error_code: string | null;
  door: Door;
  tool_name: string | null;
  execution_id: string | null;
  actor: Actor | null;
}

/** The stored `<type>:<id>` back as an Actor (the type never holds a colon; an id may). */
function actorOf(stored: string | null): Actor | null {
  if (stored === null) return null;
  const colon = stored.indexOf(':');
  return { type: stored.slice(0, colon) as Actor['type'], id: stored.slice(colon + 1) };
}

/**
 * `/v1/customers?limit=3&api_key=sk` → `/v1/customers?limit=…&api_key=…`: the names help
 * debugging, the values may carry anything (S13).
 */
export function withoutQueryValues(url: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return url;
  const names = url
    .slice(mark + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=')[0]}=…`);
  return `${url.slice(0, mark)}?${names.join('&')}`;
}

/** Entries waiting for a flush beyond this are dropped (and counted): the log never grows memory without bound. */
const MAX_PENDING = 50_000;
/** A burst this large is flushed at once rather than at the next tick of the timer. */
const EAGER_FLUSH = 5_000;
/**
 * Rows per INSERT, and per DELETE while pruning. SQLite runs a statement synchronously on the
 * event loop: 50 inserted rows take about 0.25 ms and 500 deleted rows about 0.5 ms (bench/), so
 * no proxied call waits behind the log for longer than that.
 */
const WRITE_CHUNK = 50;
const PRUNE_BATCH = 500;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The redacted request log (DESIGN.md §7): written off the hot path, like UsageRecorder — `record`
 * only pushes to an array; a timer inserts the batch. Retention is bounded by age and by rows
 * (TOOLPROXY_REQUEST_LOG_MAX_AGE_HOURS, _MAX_ROWS); a periodic prune deletes the rest. Nothing
 * secret is ever recorded: no headers, no bodies, no query values.
 */
export class RequestLog {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #maxRows: number;
  readonly #maxAgeMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #timers: NodeJS.Timeout[] = [];
  #pending: NewRequestLogRow[] = [];
  #flushing: Promise<void> = Promise.resolve();
  #eager = false;
  #dropped = 0;
  /** `<type>:<id>` per actor object: a handful of clients make nearly every call, so it is built once each. */
  readonly #actorTexts = new WeakMap<Actor, string>();

  constructor(deps: {
    store: Store;
    clock: Clock;
    maxRows: number;
    maxAgeMs: number;
    onError: (error: unknown) => void;
    flushIntervalMs?: number;
    pruneIntervalMs?: number;
  }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#maxRows = deps.maxRows;
    this.#maxAgeMs = deps.maxAgeMs;
    this.#onError = deps.onError;
    if (!this.enabled) return;
    const every = (ms: number, task: () => void) => {
      const timer = setInterval(task, ms);
      timer.unref();
      this.#timers.push(timer);
    };
    // flush() reports its own failures (see there); prune's are reported here.
    every(deps.flushIntervalMs ?? 250, () => void this.flush().catch(() => undefined));
    every(deps.pruneIntervalMs ?? 60_000, () => void this.prune().catch(this.#onError));
  }

  /** TOOLPROXY_REQUEST_LOG_MAX_ROWS=0 turns the log off. */
  get enabled(): boolean {
    return this.#maxRows > 0;
  }

  /** Entries lost because the database fell behind (exposed as a metric). */
  get dropped(): number {
    return this.#dropped;
  }

  record(call: ProxyCallRecord): void {
    if (!this.enabled) return;
    if (this.#pending.length >= MAX_PENDING) {
      this.#dropped++;
      return;
    }
    // A pending row lives until the next flush, across young-generation collections: it holds
    // only what it needs (a /proxy row leaves door, tool and execution to their defaults).
    const row: NewRequestLogRow = {
      created_at: call.startedAt,
      // Both come from the caller; they are bounded so a log row stays small.
      connection_name: call.connectionName.slice(0, 200),
      account_id: call.accountId,
      method: call.method,
      path: call.path.slice(0, 1000),
      status: call.status,
      latency_ms: Math.max(0, Math.round(call.latencyMs)),
      bytes_in: call.bytesIn,
      bytes_out: call.bytesOut,
      error_code: call.errorCode,
      actor: call.actor == null ? null : this.#actorText(call.actor),
    };
    if ((call.door !== undefined && call.door !== 'proxy') || call.toolName != null || call.executionId != null) {
      row.door = call.door ?? 'proxy';
      // A tool's name and an execution id come from our own records, but bound them like the rest.
      row.tool_name = call.toolName?.slice(0, 200) ?? null;
      row.execution_id = call.executionId?.slice(0, 100) ?? null;
    }
    this.#pending.push(row);
    if (this.#pending.length >= EAGER_FLUSH && !this.#eager) {
      this.#eager = true;
      setImmediate(() => {
        this.#eager = false;
        this.flush().catch(() => undefined);
      });
    }
  }

  #actorText(actor: Actor): string {
    let text = this.#actorTexts.get(actor);
    if (text === undefined) this.#actorTexts.set(actor, (text = `${actor.type}:${actor.id}`));
    return text;
  }

  /**
   * Writes what is pending; batches are written one after the other. A failed batch is reported
   * through onError and lost, never retried forever: the log is best effort, the proxy is not.
   */
  flush(): Promise<void> {
    if (this.#pending.length === 0) return this.#flushing;
    const batch = this.#pending;
    this.#pending = [];
    const write = this.#flushing.then(() => this.#write(batch));
    this.#flushing = write.catch(this.#onError);
    return write;
  }

  /** One statement per WRITE_CHUNK rows, yielding between them so proxied calls keep flowing. */
  async #write(batch: NewRequestLogRow[]): Promise<void> {
    for (let start = 0; start < batch.length; start += WRITE_CHUNK) {
      if (start > 0) await yieldToEventLoop();
      await this.#store.requestLog.insertMany(batch.slice(start, start + WRITE_CHUNK));
    }
  }

  /**
   * Deletes entries older than the max age, and all but about the newest maxRows (ids grow by
   * one per entry; a gap left by a failed insert keeps a few rows fewer). In small batches, with
   * a yield between them, so pruning a large backlog never stalls the proxy.
   */
  async prune(): Promise<number> {
    await this.flush().catch(() => undefined);
    const maxId = await this.#store.requestLog.maxId();
    if (maxId === null) return 0;
    const olderThan = this.#clock() - this.#maxAgeMs;
    let deleted = 0;
    for (;;) {
      const count = await this.#store.requestLog.deleteBatch(olderThan, maxId - this.#maxRows, PRUNE_BATCH);
      deleted += count;
      if (count < PRUNE_BATCH) return deleted;
      await yieldToEventLoop();
    }
  }

  async list(filter: RequestLogFilter, limit: number): Promise<{ entries: RequestLogEntry[]; next_before: string | null }> {
    await this.flush();
    const rows = await this.#store.requestLog.list(filter, limit + 1);
    const page = rows.slice(0, limit);
    const entries = page.map((row) => ({
      id: String(row.id),
      created_at: new Date(row.created_at).toISOString(),
      connection_name: row.connection_name,
      identifier: row.identifier,
      account_id: row.account_id,
      method: row.method,
      path: row.path,
      status: row.status,
      latency_ms: row.latency_ms,
      bytes_in: row.bytes_in,
      bytes_out: row.bytes_out,
      error_code: row.error_code,
      door: row.door as Door,
      tool_name: row.tool_name,
      execution_id: row.execution_id,
      actor: actorOf(row.actor),
    }));
    return { entries, next_before: rows.length > limit ? entries[entries.length - 1]!.id : null };
  }

  /** Counts, errors and p50/p99 latency per bucket over the last `windowMs` (empty buckets included). */
  async stats(windowMs: number, bucketMs: number, connectionName?: string): Promise<StatsBucket[]> {
    await this.flush();
    const now = this.#clock();
    const last = Math.floor(now / bucketMs) * bucketMs;
    const first = last - (Math.ceil(windowMs / bucketMs) - 1) * bucketMs;
    const rows = await this.#store.requestLog.since(first, connectionName);
    return bucketize(rows, first, last, bucketMs);
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await this.flush();
  }
}
