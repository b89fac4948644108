import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { ConnectionsService, LoadedConnection } from '../connections/connections-service.ts';
import { ToolproxyError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { AccountFilter, Page, PageRequest } from '../store/repositories.ts';
import type { AccountRow, AccountStatus } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { SecretBinding, Vault } from '../vault/vault.ts';
import { splitAccountValues } from './account-values.ts';

export const ACCOUNT_STATUSES: readonly AccountStatus[] = ['ACTIVE', 'EXPIRED', 'PENDING_AUTH', 'PENDING_VERIFICATION', 'DISCONNECTED'];

/** An account as the API shows it: never its credentials (S10). */
export interface AccountView {
  id: string;
  identifier: string;
  connection_name: string;
  connection_id: string;
  connector: string;
  status: AccountStatus;
  authorization_type: string;
  api_config: Record<string, string>;
  has_credentials: boolean;
  token_expires_at: string | null;
  last_used_at: string | null;
  status_updated_at: string;
  created_at: string;
  updated_at: string;
}

/** How callers name an account: by id, or by (connection name, identifier) as the reference does. */
export type AccountRef = { id: string } | { connectionName: string; identifier: string };

export function credentialsBinding(accountId: string): SecretBinding {
  return { table: 'connected_accounts', rowId: accountId, column: 'credentials' };
}

/** Identifiers are the app's own user ids: any printable string, compared exactly (S11). */
export function assertValidIdentifier(identifier: unknown): asserts identifier is string {
  if (typeof identifier !== 'string' || identifier.length === 0 || identifier.length > 255 || /[\x00-\x1f\x7f]/.test(identifier)) {
    throw new ToolproxyError('VALIDATION_FAILED', {
      details: { problems: [{ path: '/identifier', message: 'must be 1-255 printable characters' }] },
    });
  }
}

export class AccountsService {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #connections: ConnectionsService;
  readonly #onDeleted: ((row: AccountRow, connection: LoadedConnection) => void) | undefined;

  constructor(deps: {
    store: Store;
    vault: Vault;
    clock: Clock;
    changes: ChangeFeed;
    connections: ConnectionsService;
    /** Called after an account is deleted, with the row as it was (OAuth revocation, O17). */
    onDeleted?: (row: AccountRow, connection: LoadedConnection) => void;
  }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#connections = deps.connections;
    this.#onDeleted = deps.onDeleted;
  }

  /** Atomic on the server: concurrent calls for one (connection, identifier) get one account. */
  async getOrCreate(connectionName: string, identifier: string): Promise<{ account: AccountView; created: boolean }> {
    assertValidIdentifier(identifier);
    const connection = await this.#connections.load(connectionName);
    const now = this.#clock();
    const { account, created } = await this.#store.accounts.getOrCreate({
      id: newId('ca'),
      connection_id: connection.row.id,
      identifier,
      status: 'PENDING_AUTH',
      authorization_type: connection.row.auth_type,
      credentials: null,
      api_config: '{}',
      credentials_version: 0,
      token_expires_at: null,
      last_used_at: null,
      status_updated_at: now,
      created_at: now,
      updated_at: now,
    });
    return { account: toView(account, connection), created };
  }

  /** Bring your own credentials: creates an ACTIVE account from values the app already holds. */
  async create(connectionName: string, identifier: string, values: Record<string, unknown>): Promise<AccountView> {
    assertValidIdentifier(identifier);
    const connection = await this.#connections.load(connectionName);
    const { definition, pattern } = connection.connector;
    const split = splitAccountValues(definition, pattern, values);
    const now = this.#clock();
    const id = newId('ca');
    const row: AccountRow = {
      id,
      connection_id: connection.row.id,
      identifier,
      status: 'ACTIVE',
      authorization_type: connection.row.auth_type,
      credentials: this.#vault.encryptJson(split.credentials, credentialsBinding(id)),
      api_config: JSON.stringify(split.apiConfig),
      credentials_version: 1,
      token_expires_at: null,
      last_used_at: null,
      refresh_owner: null,
      refresh_lease_until: null,
      granted_scopes: null,
      status_updated_at: now,
      created_at: now,
      updated_at: now,
    };
    if (!(await this.#store.accounts.insert(row))) {
      throw new ToolproxyError('ACCOUNT_EXISTS', { details: { connection_name: connectionName, identifier } });
    }
    this.#changes.accountChanged(connectionName, identifier);
    return toView(row, connection);
  }

  /** Replaces the credentials (and per-account fields) of an existing account; it becomes ACTIVE. */
  async updateCredentials(ref: AccountRef, values: Record<string, unknown>): Promise<AccountView> {
    const { row, connection } = await this.load(ref);
    const split = splitAccountValues(connection.connector.definition, connection.connector.pattern, values);
    const updated = await this.#store.accounts.writeCredentials(row.id, row.credentials_version, {
      credentials: this.#vault.encryptJson(split.credentials, credentialsBinding(row.id)),
      api_config: JSON.stringify(split.apiConfig),
      status: 'ACTIVE',
      token_expires_at: null,
      now: this.#clock(),
    });
    // Lost the compare-and-set: someone else wrote (or deleted) the account meanwhile.
    if (!updated) throw new ToolproxyError('ACCOUNT_NOT_FOUND', { message: 'The account changed or was deleted meanwhile; read it again.' });
    this.#changes.accountChanged(connection.row.name, row.identifier);
    return toView(updated, connection);
  }

  async get(ref: AccountRef): Promise<AccountView> {
    const { row, connection } = await this.load(ref);
    return toView(row, connection);
  }

  async list(filter: { connectionName?: string | undefined; identifier?: string | undefined; status?: AccountStatus | undefined }, page: PageRequest): Promise<Page<AccountView>> {
    const storeFilter: AccountFilter = {};
    if (filter.connectionName) storeFilter.connectionId = (await this.#connections.load(filter.connectionName)).row.id;
    if (filter.identifier) storeFilter.identifier = filter.identifier;
    if (filter.status) storeFilter.status = filter.status;
    const result = await this.#store.accounts.list(page, storeFilter);
    const connections = new Map<string, LoadedConnection>();
    const items: AccountView[] = [];
    for (const row of result.items) {
      let connection = connections.get(row.connection_id);
      if (!connection) {
        connection = await this.#connections.loadById(row.connection_id);
        connections.set(row.connection_id, connection);
      }
      items.push(toView(row, connection));
    }
    return { items, nextPageToken: result.nextPageToken };
  }

  async delete(ref: AccountRef): Promise<void> {
    const { row, connection } = await this.load(ref);
    if (!(await this.#store.accounts.delete(row.id))) throw new ToolproxyError('ACCOUNT_NOT_FOUND');
    this.#changes.accountChanged(connection.row.name, row.identifier);
    this.#onDeleted?.(row, connection);
  }

  async load(ref: AccountRef): Promise<{ row: AccountRow; connection: LoadedConnection }> {
    if ('id' in ref) {
      const row = await this.#store.accounts.findById(ref.id);
      if (!row) throw new ToolproxyError('ACCOUNT_NOT_FOUND', { details: { id: ref.id } });
      return { row, connection: await this.#connections.loadById(row.connection_id) };
    }
    const connection = await this.#connections.load(ref.connectionName);
    const row = await this.#store.accounts.findByKey(connection.row.id, ref.identifier);
    if (!row) {
      throw new ToolproxyError('ACCOUNT_NOT_FOUND', { details: { connection_name: ref.connectionName, identifier: ref.identifier } });
    }
    return { row, connection };
  }
}

export function toView(row: AccountRow, connection: LoadedConnection): AccountView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    identifier: row.identifier,
    connection_name: connection.row.name,
    connection_id: row.connection_id,
    connector: connection.connector.row.identifier,
    status: row.status,
    authorization_type: row.authorization_type,
    api_config: JSON.parse(row.api_config) as Record<string, string>,
    has_credentials: row.credentials !== null,
    token_expires_at: iso(row.token_expires_at),
    last_used_at: iso(row.last_used_at),
    status_updated_at: new Date(row.status_updated_at).toISOString(),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
