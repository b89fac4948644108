import { credentialsBinding } from '../accounts/accounts-service.ts';
import { injectedHeaderNames, strategyFor } from '../auth/index.ts';
import type { Injection } from '../auth/strategy.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import { loadedFromRow } from '../connectors/connectors-service.ts';
import { renderProxyUrl } from '../connectors/template.ts';
import { ToolproxyError } from '../errors.ts';
import type { AccountStatus } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { Vault } from '../vault/vault.ts';
import { parseProxyBase, type UpstreamTarget } from './url-join.ts';

/**
 * Everything the proxy needs for one account, computed once: where to send, what to inject,
 * which caller headers to drop. Held in memory so a warm account costs no SQL and no decrypt.
 */
export interface ResolvedAccount {
  accountId: string;
  connectionName: string;
  identifier: string;
  status: AccountStatus;
  connectionEnabled: boolean;
  proxyEnabled: boolean;
  /** Present only for an ACTIVE account (nothing is decrypted otherwise). */
  upstream?: { target: UpstreamTarget; injection: Injection; droppedHeaders: readonly string[] };
  /** OAUTH accounts: the access token in use and when it expires, for refresh decisions. */
  oauth?: { accessToken: string; expiresAt: number | null; obtainedAt: number };
  /** When this entry must be re-read (epoch ms). */
  staleAt: number;
}

const MAX_ENTRIES = 500_000;

export class AccountResolver {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, ResolvedAccount>();
  readonly #loading = new Map<string, Promise<ResolvedAccount>>();

  constructor(deps: { store: Store; vault: Vault; clock: Clock; changes: ChangeFeed; ttlMs: number }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#ttlMs = deps.ttlMs;
    deps.changes.onAccountChanged((connectionName, identifier) => this.#cache.delete(keyOf(connectionName, identifier)));
    deps.changes.onConfigChanged(() => this.#cache.clear());
  }

  /** A fresh cached entry, or undefined: the synchronous fast path. */
  peek(connectionName: string, identifier: string): ResolvedAccount | undefined {
    const entry = this.#cache.get(keyOf(connectionName, identifier));
    return entry && entry.staleAt > this.#clock() ? entry : undefined;
  }

  /** Loads (single-flight per key) and caches; throws CONNECTION_NOT_FOUND / ACCOUNT_NOT_FOUND. */
  resolve(connectionName: string, identifier: string): Promise<ResolvedAccount> {
    const key = keyOf(connectionName, identifier);
    const inFlight = this.#loading.get(key);
    if (inFlight) return inFlight;
    const loading = this.#load(connectionName, identifier)
      .then((entry) => {
        if (this.#cache.size >= MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value as string);
        this.#cache.set(key, entry);
        return entry;
      })
      .finally(() => this.#loading.delete(key));
    this.#loading.set(key, loading);
    return loading;
  }

  async #load(connectionName: string, identifier: string): Promise<ResolvedAccount> {
    const connection = await this.#store.connections.findByName(connectionName);
    if (!connection) throw new ToolproxyError('CONNECTION_NOT_FOUND', { details: { connection_name: connectionName } });
    const account = await this.#store.accounts.findByKey(connection.id, identifier);
    if (!account) throw new ToolproxyError('ACCOUNT_NOT_FOUND', { details: { connection_name: connectionName, identifier } });
    const connectorRow = await this.#store.connectors.find(connection.connector_id);
    if (!connectorRow) throw new ToolproxyError('INTERNAL_ERROR', { message: `connection ${connection.id} has no connector` });
    const { definition, pattern } = loadedFromRow(connectorRow);

    const entry: ResolvedAccount = {
      accountId: account.id,
      connectionName,
      identifier,
      status: account.status,
      connectionEnabled: connection.enabled === 1,
      proxyEnabled: definition.proxy_enabled !== false,
      staleAt: this.#clock() + this.#ttlMs,
    };
    if (account.status !== 'ACTIVE' || account.credentials === null) return entry;

    const credentials = this.#vault.decryptJson<Record<string, string>>(account.credentials, credentialsBinding(account.id));
    const apiConfig = JSON.parse(account.api_config) as Record<string, string>;
    entry.upstream = {
      target: parseProxyBase(renderProxyUrl(definition.proxy_url, apiConfig)),
      injection: strategyFor(pattern.type).inject(pattern as never, credentials),
      droppedHeaders: injectedHeaderNames(pattern),
    };
    if (pattern.type === 'OAUTH') {
      entry.oauth = {
        accessToken: credentials.access_token ?? '',
        expiresAt: account.token_expires_at,
        obtainedAt: Number(credentials.obtained_at ?? 0),
      };
    }
    return entry;
  }
}

function keyOf(connectionName: string, identifier: string): string {
  return `${connectionName}\u0000${identifier}`;
}
