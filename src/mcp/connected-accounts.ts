import { assertValidIdentifier } from '../accounts/accounts-service.ts';
import type { AuthorizationLinks } from '../accounts/authorization-links.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { AccountStatus } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { LoadedMcpConfig, McpConfigsService } from './configs-service.ts';

/** Where one identifier stands on one mapped connection. */
export type McpConnectionStatus = AccountStatus | 'NOT_CONNECTED' | 'CONNECTION_NOT_FOUND';

export interface McpConnectionState {
  connectionName: string;
  /** The connector's display name, for messages a model and its user read; null when the connection is gone. */
  connectorName: string | null;
  status: McpConnectionStatus;
  accountId: string | null;
}

export interface McpConnectedAccountView {
  connection_name: string;
  connector: string | null;
  status: McpConnectionStatus;
  connected_account_id: string | null;
  /** A fresh single-use link when asked for and the account is not ACTIVE. */
  authorization_link: { link: string; expiry: string } | null;
}

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

/**
 * Which mapped connections an identifier has authorized. `tools/list` asks on every call, so the
 * answers are cached per (connection, identifier) and dropped on every account or config change,
 * in this process or (Postgres change relay) another one: no SQL on the hot path once warm.
 */
export class McpConnectedAccounts {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #links: AuthorizationLinks;
  readonly #configs: McpConfigsService;
  readonly #cache = new Map<string, { state: McpConnectionState; until: number }>();
  /** Bumped on every invalidation: a read that overlapped one is used but not cached (it may be stale). */
  #generation = 0;

  constructor(deps: { store: Store; clock: Clock; changes: ChangeFeed; links: AuthorizationLinks; configs: McpConfigsService }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#links = deps.links;
    this.#configs = deps.configs;
    deps.changes.onAccountChanged((connectionName, identifier) => {
      this.#generation++;
      this.#cache.delete(key(connectionName, identifier));
    });
    deps.changes.onConfigChanged(() => {
      this.#generation++;
      this.#cache.clear();
    });
  }

  /** The state of every mapped connection, from the cache when current. */
  async states(config: LoadedMcpConfig, identifier: string): Promise<McpConnectionState[]> {
    return Promise.all(config.mappings.map((mapping) => this.#cached(mapping.connectionName, identifier)));
  }

  /** Reference `list_mcp_connected_accounts(config, identifier, include_auth_link)`: read fresh. */
  async list(configId: string, identifier: string, includeAuthLink: boolean): Promise<McpConnectedAccountView[]> {
    assertValidIdentifier(identifier);
    const config = await this.#configs.load(configId);
    const views: McpConnectedAccountView[] = [];
    for (const mapping of config.mappings) {
      const state = await this.#read(mapping.connectionName, identifier);
      const wantsLink = includeAuthLink && state.status !== 'ACTIVE' && state.status !== 'CONNECTION_NOT_FOUND';
      const link = wantsLink ? await this.authorizationLink(config, mapping.connectionName, identifier) : null;
      views.push({
        connection_name: state.connectionName,
        connector: state.connectorName,
        status: link?.status ?? state.status,
        connected_account_id: link?.accountId ?? state.accountId,
        authorization_link: link ? { link: link.link, expiry: link.expiry } : null,
      });
    }
    return views;
  }

  /**
   * A fresh authorization link (reference §3.5) for the user to connect this connection. OAuth
   * connections go through the config's user verification page when it has one.
   */
  async authorizationLink(config: LoadedMcpConfig, connectionName: string, identifier: string): Promise<{ link: string; expiry: string; accountId: string; status: AccountStatus }> {
    const created = await this.#links.create(connectionName, identifier, config.userVerifyUrl ? { userVerifyUrl: config.userVerifyUrl } : {});
    return { link: created.link, expiry: created.expiry, accountId: created.account.id, status: created.account.status };
  }

  async #cached(connectionName: string, identifier: string): Promise<McpConnectionState> {
    const now = this.#clock();
    const entry = this.#cache.get(key(connectionName, identifier));
    if (entry && entry.until > now) return entry.state;
    const generation = this.#generation;
    const state = await this.#read(connectionName, identifier);
    if (generation !== this.#generation) return state;
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(key(connectionName, identifier), { state, until: now + CACHE_TTL_MS });
    return state;
  }

  async #read(connectionName: string, identifier: string): Promise<McpConnectionState> {
    const connection = await this.#store.connections.findByName(connectionName);
    if (!connection) return { connectionName, connectorName: null, status: 'CONNECTION_NOT_FOUND', accountId: null };
    const [connector, account] = await Promise.all([
      this.#store.connectors.find(connection.connector_id),
      this.#store.accounts.findByKey(connection.id, identifier),
    ]);
    return {
      connectionName,
      connectorName: connector?.display_name ?? connectionName,
      status: account ? account.status : 'NOT_CONNECTED',
      accountId: account?.id ?? null,
    };
  }
}

function key(connectionName: string, identifier: string): string {
  return `${connectionName}\u0000${identifier}`;
}
