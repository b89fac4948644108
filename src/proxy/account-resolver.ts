import { credentialsBinding } from '../accounts/accounts-service.ts';
import { injectedHeaderNames, strategyFor } from '../auth/index.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { AuthPattern, ConnectorDefinition } from '../connectors/definition-schema.ts';
import { loadedFromRow } from '../connectors/connectors-service.ts';
import { renderProxyUrl, templateFields } from '../connectors/template.ts';
import { ToolproxyError } from '../errors.ts';
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
  readonly identifier: string;
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
  /** OAUTH accounts: the access token in use and when it expires, for refresh decisions. */
  readonly oauth: { readonly accessToken: string; readonly expiresAt: number | null; readonly obtainedAt: number } | undefined;
  /** When this entry must be re-read (epoch ms). */
  readonly staleAt: number;
  /** The UsageRecorder's bookkeeping: the period `last_used_at` was last queued in (0: never). */
  usagePeriod: number;
}

/** What every account of one connection shares; read once per connection, not per account. */
interface ConnectionPlan {
  connectionId: string;
  connectionName: string;
  enabled: boolean;
  definition: ConnectorDefinition;
  pattern: AuthPattern;
  /** The target when proxy_url has no `{{field}}`: one object for all the connection's accounts. */
  sharedTarget: UpstreamTarget | undefined;
  droppedHeaders: readonly string[];
  staleAt: number;
}

const MAX_ENTRIES = 500_000;
const NOTHING: Readonly<Record<string, string>> = Object.freeze({});

export class AccountResolver {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  /** connection name → identifier → entry: two lookups of the header strings, no key built per call. */
  readonly #cache = new Map<string, Map<string, ResolvedAccount>>();
  #size = 0;
  readonly #plans = new Map<string, ConnectionPlan>();
  readonly #loading = new Map<string, Promise<ResolvedAccount>>();
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
    return entry !== undefined && entry.staleAt > this.#clock() ? entry : undefined;
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
    if (!accounts.has(entry.identifier)) {
      if (this.#size >= MAX_ENTRIES) this.#evictOne();
      this.#size++;
    }
    accounts.set(entry.identifier, entry);
  }

  /** Drops the oldest entry of the first connection: a bound on memory, not an LRU. */
  #evictOne(): void {
    for (const [name, accounts] of this.#cache) {
      const oldest = accounts.keys().next();
      if (!oldest.done) {
        accounts.delete(oldest.value);
        this.#size--;
      }
      if (accounts.size === 0) this.#cache.delete(name);
      return;
    }
  }

  #forget(connectionName: string, identifier: string): void {
    this.#generation++;
    this.#loading.delete(loadingKey(connectionName, identifier));
    const accounts = this.#cache.get(connectionName);
    if (accounts?.delete(identifier)) this.#size--;
  }

  #forgetAll(): void {
    this.#generation++;
    this.#loading.clear();
    this.#cache.clear();
    this.#plans.clear();
    this.#size = 0;
  }

  async #plan(connectionName: string): Promise<ConnectionPlan> {
    const cached = this.#plans.get(connectionName);
    if (cached && cached.staleAt > this.#clock()) return cached;
    const generation = this.#generation;
    const connection = await this.#store.connections.findByName(connectionName);
    if (!connection) throw new ToolproxyError('CONNECTION_NOT_FOUND', { details: { connection_name: connectionName } });
    const connectorRow = await this.#store.connectors.find(connection.connector_id);
    if (!connectorRow) throw new ToolproxyError('INTERNAL_ERROR', { message: `connection ${connection.id} has no connector` });
    const { definition, pattern } = loadedFromRow(connectorRow);
    const plan: ConnectionPlan = {
      connectionId: connection.id,
      connectionName,
      enabled: connection.enabled === 1,
      definition,
      pattern,
      sharedTarget: templateFields(definition.proxy_url).length === 0 ? parseProxyBase(definition.proxy_url) : undefined,
      droppedHeaders: injectedHeaderNames(pattern),
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
      identifier,
      status: account.status,
      connectionEnabled: plan.enabled,
      proxyEnabled: definition.proxy_enabled !== false,
      target,
      injectedHeaders: injection.headers,
      injectedQuery: Object.keys(injection.query).length === 0 ? NOTHING : injection.query,
      droppedHeaders: plan.droppedHeaders,
      oauth,
      // Each entry's own TTL, so 100,000 entries loaded with one plan do not all expire at once.
      // The copied plan fields can thus be up to two TTLs old if a config change's notification
      // was lost (a notified change clears everything at once).
      staleAt: this.#clock() + this.#ttlMs,
      usagePeriod: 0,
    };
  }
}

function loadingKey(connectionName: string, identifier: string): string {
  return `${connectionName}\u0000${identifier}`;
}
