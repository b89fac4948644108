import { credentialsBinding } from '../accounts/accounts-service.ts';
import { defaultHeaders, injectedHeaderNames, strategyFor } from '../auth/index.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { AuthPattern, ConnectorDefinition } from '../connectors/definition-schema.ts';
import { loadedFromRow } from '../connectors/connectors-service.ts';
import { renderProxyUrl, templateFields } from '../connectors/template.ts';
import { ToolproxyError } from '../errors.ts';
import type { AccountVersion } from '../store/repositories.ts';
import type { AccountStatus } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { Vault } from '../vault/vault.ts';
import { parseProxyBase, type UpstreamTarget } from './url-join.ts';

/**
 * Everything the proxy needs for one account, computed once: where to send, what to inject,
 * which caller headers to drop. Held in memory so a warm account costs no SQL and no decrypt.
 *
 * One flat object per account, with what all accounts of a connection share (the target when
 * `proxy_url` has no per-account field, the dropped header names) shared by reference: with
 * 100,000 accounts cached, every object per entry is 100,000 more for the GC to trace.
 */
export interface ResolvedAccount {
  readonly accountId: string;
  readonly connectionName: string;
  /** The connection's connector: a tool runs only on an account of its own connector. */
  readonly connectorId: string;
  readonly identifier: string;
  /** The reference's scope labels, set when the account was created (accounts/account-scope.ts). */
  readonly organizationId: string | null;
  readonly userId: string | null;
  readonly status: AccountStatus;
  readonly connectionEnabled: boolean;
  readonly proxyEnabled: boolean;
  /** Where calls go; set only for an ACTIVE account (nothing is decrypted otherwise). */
  readonly target: UpstreamTarget | undefined;
  /** Lower-case header names → values, set after the header policy ran (credentials last). */
  readonly injectedHeaders: Readonly<Record<string, string>>;
  /** Query parameters the credentials go in (API_KEY with `auth_query_param`). */
  readonly injectedQuery: Readonly<Record<string, string>>;
  /** Caller headers dropped because the injection sets them (case-insensitively). */
  readonly droppedHeaders: readonly string[];
  /** The connector's static headers (lower case), added where the caller sent none; shared per connection. */
  readonly defaultHeaders: Readonly<Record<string, string>>;
  /** OAUTH accounts: the access token in use and when it expires, for refresh decisions. */
  readonly oauth: { readonly accessToken: string; readonly expiresAt: number | null; readonly obtainedAt: number } | undefined;
  /** When this entry must be re-read (epoch ms); pushed back each time a revalidation finds it current. */
  staleAt: number;
  /** From when a call that uses the entry queues it for revalidation (Infinity while queued). */
  refreshAt: number;
  /** The account row's change markers when it was read (see `fingerprintOf`). */
  readonly fingerprint: string;
  /** The UsageRecorder's bookkeeping: the period `last_used_at` was last queued in (0: never). */
  usagePeriod: number;
}

/** What every account of one connection shares; read once per connection, not per account. */
interface ConnectionPlan {
  connectionId: string;
  connectionName: string;
  connectorId: string;
  enabled: boolean;
  definition: ConnectorDefinition;
  pattern: AuthPattern;
  /** The target when proxy_url has no `{{field}}`: one object for all the connection's accounts. */
  sharedTarget: UpstreamTarget | undefined;
  droppedHeaders: readonly string[];
  defaultHeaders: Readonly<Record<string, string>>;
  /** The connection's and connector's change markers when they were read. */
  fingerprint: string;
  staleAt: number;
}

const MAX_ENTRIES = 500_000;
/** Accounts revalidated by one query. */
const REVALIDATION_BATCH = 500;
/** An entry in use is revalidated once this share of its TTL has passed, before it goes stale. */
const REVALIDATE_AFTER = 0.75;
const NOTHING: Readonly<Record<string, string>> = Object.freeze({});

export class AccountResolver {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  /** connection name → identifier → entry: two lookups of the header strings, no key built per call. */
  readonly #cache = new Map<string, Map<string, ResolvedAccount>>();
  #size = 0;
  /**
   * Account id → the cached entry, for calls routed by connected account id (tools). Filled only
   * by such calls, so a server whose calls all come through `/proxy` keeps no second map of its
   * 100,000 accounts for the GC to trace. Every entry here is also in #cache; leaving #cache
   * removes it here too (#unindex).
   */
  readonly #byId = new Map<string, ResolvedAccount>();
  readonly #plans = new Map<string, ConnectionPlan>();
  readonly #loading = new Map<string, Promise<ResolvedAccount>>();
  /** Plans being read, so a cold start's many first calls on one connection read it once. */
  readonly #planLoading = new Map<string, Promise<ConnectionPlan>>();
  /**
   * Entries in use that are close to going stale. Rather than re-read and decrypt each one on a
   * call when its TTL ends (with 100,000 accounts and a one-minute TTL, a re-read every minute
   * per account, on the calls' path), one query per REVALIDATION_BATCH accounts, off the calls'
   * path, compares their change markers; an unchanged entry lives another TTL, a changed or
   * deleted one is dropped and read afresh by its next call.
   */
  #revalidationQueue: ResolvedAccount[] = [];
  #revalidating: Promise<void> | undefined;
  /**
   * Bumped by every change: a load that started before a change may have read the old rows, so
   * its result is returned to its caller but not cached (it would outlive the invalidation).
   */
  #generation = 0;

  constructor(deps: { store: Store; vault: Vault; clock: Clock; changes: ChangeFeed; ttlMs: number }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#ttlMs = deps.ttlMs;
    deps.changes.onAccountChanged((connectionName, identifier) => this.#forget(connectionName, identifier));
    deps.changes.onConfigChanged(() => this.#forgetAll());
  }

  /** A fresh cached entry, or undefined: the synchronous fast path. */
  peek(connectionName: string, identifier: string): ResolvedAccount | undefined {
    const entry = this.#cache.get(connectionName)?.get(identifier);
    if (entry === undefined) return undefined;
    const now = this.#clock();
    if (entry.staleAt <= now) return undefined;
    if (entry.refreshAt <= now) this.#queueRevalidation(entry);
    return entry;
  }

  /** peek() by connected account id: no SQL, no decrypt once the account was resolved by id. */
  peekById(accountId: string): ResolvedAccount | undefined {
    const entry = this.#byId.get(accountId);
    if (entry === undefined) return undefined;
    const current = this.peek(entry.connectionName, entry.identifier);
    return current?.accountId === accountId ? current : undefined;
  }

  /**
   * resolve() by connected account id: the account row names its connection and identifier (the
   * cold path's one extra read), then the entry is resolved by key and indexed by id.
   * ACCOUNT_NOT_FOUND when there is no such account, or it was replaced meanwhile.
   */
  async resolveById(accountId: string): Promise<ResolvedAccount> {
    const generation = this.#generation;
    const row = await this.#store.accounts.findById(accountId);
    const connection = row === undefined ? undefined : await this.#store.connections.findById(row.connection_id);
    if (row === undefined || connection === undefined) throw accountIdNotFound(accountId);
    const entry = this.peek(connection.name, row.identifier) ?? (await this.resolve(connection.name, row.identifier));
    // Deleted and created again under the same key since the row was read: a different account.
    if (entry.accountId !== accountId) throw accountIdNotFound(accountId);
    if (generation === this.#generation && this.#cache.get(entry.connectionName)?.get(entry.identifier) === entry) this.#byId.set(accountId, entry);
    return entry;
  }

  /** Settles when the revalidations queued so far are done (tests wait on it). */
  async revalidated(): Promise<void> {
    while (this.#revalidating) await this.#revalidating;
  }

  #queueRevalidation(entry: ResolvedAccount): void {
    entry.refreshAt = Infinity;
    this.#revalidationQueue.push(entry);
    // Never on the calling request's turn of the event loop: better-sqlite3 runs synchronously.
    this.#revalidating ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#revalidateQueued())
      .finally(() => (this.#revalidating = undefined));
  }

  async #revalidateQueued(): Promise<void> {
    while (this.#revalidationQueue.length > 0) {
      const batch = this.#revalidationQueue.splice(0, REVALIDATION_BATCH);
      const generation = this.#generation;
      let versions: AccountVersion[];
      try {
        versions = await this.#store.accounts.versions(batch.map((entry) => entry.accountId));
      } catch {
        // The entries simply go stale at their TTL and their next calls read them afresh,
        // which reports the database error to those callers.
        continue;
      }
      if (generation !== this.#generation) {
        // A change arrived meanwhile: the answer may predate it. Queue them again on next use.
        for (const entry of batch) entry.refreshAt = 0;
        continue;
      }
      const current = new Map(versions.map((version) => [version.id, version]));
      const now = this.#clock();
      for (const entry of batch) {
        const version = current.get(entry.accountId);
        if (version !== undefined && fingerprintOf(version, planFingerprintOf(version)) === entry.fingerprint) {
          entry.staleAt = now + this.#ttlMs;
          entry.refreshAt = now + this.#ttlMs * REVALIDATE_AFTER;
          continue;
        }
        // Changed or deleted without a notification reaching us (another instance, a lost
        // NOTIFY, a hand edit): drop it, and the connection's plan too if that is what changed.
        const plan = this.#plans.get(entry.connectionName);
        if (plan && (version === undefined || plan.fingerprint !== planFingerprintOf(version))) this.#plans.delete(entry.connectionName);
        this.#drop(entry);
      }
      if (this.#revalidationQueue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Removes this very entry (not a newer one loaded meanwhile). */
  #drop(entry: ResolvedAccount): void {
    const accounts = this.#cache.get(entry.connectionName);
    if (accounts?.get(entry.identifier) === entry) {
      accounts.delete(entry.identifier);
      this.#size--;
      this.#unindex(entry);
    }
  }

  /** An entry left the cache: it must not stay reachable by its id. */
  #unindex(entry: ResolvedAccount): void {
    if (this.#byId.get(entry.accountId) === entry) this.#byId.delete(entry.accountId);
  }

  /** Loads (single-flight per key) and caches; throws CONNECTION_NOT_FOUND / ACCOUNT_NOT_FOUND. */
  resolve(connectionName: string, identifier: string): Promise<ResolvedAccount> {
    const key = loadingKey(connectionName, identifier);
    const inFlight = this.#loading.get(key);
    if (inFlight) return inFlight;
    const generation = this.#generation;
    const loading = this.#load(connectionName, identifier)
      .then((entry) => {
        if (generation === this.#generation) this.#remember(entry);
        return entry;
      })
      .finally(() => {
        if (this.#loading.get(key) === loading) this.#loading.delete(key);
      });
    this.#loading.set(key, loading);
    return loading;
  }

  #remember(entry: ResolvedAccount): void {
    let accounts = this.#cache.get(entry.connectionName);
    if (!accounts) this.#cache.set(entry.connectionName, (accounts = new Map()));
    const replaced = accounts.get(entry.identifier);
    if (replaced === undefined) {
      if (this.#size >= MAX_ENTRIES) this.#evictOne();
      this.#size++;
    } else {
      this.#unindex(replaced);
    }
    accounts.set(entry.identifier, entry);
  }

  /** Drops the oldest entry of the first connection: a bound on memory, not an LRU. */
  #evictOne(): void {
    for (const [name, accounts] of this.#cache) {
      const oldest = accounts.values().next();
      if (!oldest.done) {
        accounts.delete(oldest.value.identifier);
        this.#size--;
        this.#unindex(oldest.value);
      }
      if (accounts.size === 0) this.#cache.delete(name);
      return;
    }
  }

  #forget(connectionName: string, identifier: string): void {
    this.#generation++;
    this.#loading.delete(loadingKey(connectionName, identifier));
    const accounts = this.#cache.get(connectionName);
    const entry = accounts?.get(identifier);
    if (entry !== undefined) {
      accounts!.delete(identifier);
      this.#size--;
      this.#unindex(entry);
    }
  }

  #forgetAll(): void {
    this.#generation++;
    this.#loading.clear();
    this.#cache.clear();
    this.#byId.clear();
    this.#plans.clear();
    this.#planLoading.clear();
    this.#size = 0;
  }

  #plan(connectionName: string): Promise<ConnectionPlan> {
    const cached = this.#plans.get(connectionName);
    if (cached && cached.staleAt > this.#clock()) return Promise.resolve(cached);
    const inFlight = this.#planLoading.get(connectionName);
    if (inFlight) return inFlight;
    const loading = this.#readPlan(connectionName).finally(() => {
      if (this.#planLoading.get(connectionName) === loading) this.#planLoading.delete(connectionName);
    });
    this.#planLoading.set(connectionName, loading);
    return loading;
  }

  async #readPlan(connectionName: string): Promise<ConnectionPlan> {
    const generation = this.#generation;
    const connection = await this.#store.connections.findByName(connectionName);
    if (!connection) throw new ToolproxyError('CONNECTION_NOT_FOUND', { details: { connection_name: connectionName } });
    const connectorRow = await this.#store.connectors.find(connection.connector_id);
    if (!connectorRow) throw new ToolproxyError('INTERNAL_ERROR', { message: `connection ${connection.id} has no connector` });
    const { definition, pattern } = loadedFromRow(connectorRow);
    const plan: ConnectionPlan = {
      connectionId: connection.id,
      connectionName,
      connectorId: connection.connector_id,
      enabled: connection.enabled === 1,
      definition,
      pattern,
      sharedTarget: templateFields(definition.proxy_url).length === 0 ? parseProxyBase(definition.proxy_url) : undefined,
      droppedHeaders: injectedHeaderNames(pattern),
      defaultHeaders: defaultHeaders(pattern),
      fingerprint: planFingerprintOf({ connection_updated_at: connection.updated_at, connection_enabled: connection.enabled, connector_updated_at: connectorRow.updated_at }),
      staleAt: this.#clock() + this.#ttlMs,
    };
    if (generation === this.#generation) this.#plans.set(connectionName, plan);
    return plan;
  }

  async #load(connectionName: string, identifier: string): Promise<ResolvedAccount> {
    const plan = await this.#plan(connectionName);
    const account = await this.#store.accounts.findByKey(plan.connectionId, identifier);
    if (!account) throw new ToolproxyError('ACCOUNT_NOT_FOUND', { details: { connection_name: connectionName, identifier } });
    const { definition, pattern } = plan;

    let target: UpstreamTarget | undefined;
    let injection = { headers: NOTHING, query: NOTHING };
    let oauth: ResolvedAccount['oauth'];
    if (account.status === 'ACTIVE' && account.credentials !== null) {
      const credentials = this.#vault.decryptJson<Record<string, string>>(account.credentials, credentialsBinding(account.id));
      target = plan.sharedTarget ?? parseProxyBase(renderProxyUrl(definition.proxy_url, JSON.parse(account.api_config) as Record<string, string>));
      injection = strategyFor(pattern.type).inject(pattern as never, credentials);
      if (pattern.type === 'OAUTH') {
        oauth = {
          accessToken: credentials.access_token ?? '',
          expiresAt: account.token_expires_at,
          obtainedAt: Number(credentials.obtained_at ?? 0),
        };
      }
    }
    return {
      accountId: account.id,
      connectionName: plan.connectionName,
      connectorId: plan.connectorId,
      identifier,
      organizationId: account.organization_id,
      userId: account.user_id,
      status: account.status,
      connectionEnabled: plan.enabled,
      proxyEnabled: definition.proxy_enabled !== false,
      target,
      injectedHeaders: injection.headers,
      injectedQuery: Object.keys(injection.query).length === 0 ? NOTHING : injection.query,
      droppedHeaders: plan.droppedHeaders,
      defaultHeaders: plan.defaultHeaders,
      oauth,
      // Each entry's own TTL, so 100,000 entries loaded with one plan do not all expire at once.
      // Revalidation compares the connection's and connector's markers too, so a config change
      // whose notification was lost is seen within a TTL like an account change.
      staleAt: this.#clock() + this.#ttlMs,
      refreshAt: this.#clock() + this.#ttlMs * REVALIDATE_AFTER,
      fingerprint: fingerprintOf(account, plan.fingerprint),
      usagePeriod: 0,
    };
  }
}

/**
 * What changes whenever anything the cache copied from the rows changes: every write to an
 * account sets `updated_at` (credential writes also bump `credentials_version`, a status change
 * sets `status`); connection and connector updates set their `updated_at`.
 */
function fingerprintOf(account: Pick<AccountVersion, 'status' | 'credentials_version' | 'updated_at'>, planFingerprint: string): string {
  return `${account.status}|${account.credentials_version}|${account.updated_at}|${planFingerprint}`;
}

function planFingerprintOf(version: Pick<AccountVersion, 'connection_updated_at' | 'connection_enabled' | 'connector_updated_at'>): string {
  return `${version.connection_updated_at}|${version.connection_enabled}|${version.connector_updated_at}`;
}

function accountIdNotFound(accountId: string): ToolproxyError {
  return new ToolproxyError('ACCOUNT_NOT_FOUND', { message: 'No connected account with this id.', details: { connected_account_id: accountId } });
}

function loadingKey(connectionName: string, identifier: string): string {
  return `${connectionName}\u0000${identifier}`;
}
