import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { ConnectionsService, LoadedConnection } from '../connections/connections-service.ts';
import { ToolproxyError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { AccountFilter, Page, PageRequest, Repositories } from '../store/repositories.ts';
import type { AccountRow, AccountStatus, TokenRevocationRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { SecretBinding, Vault } from '../vault/vault.ts';
import { type AccountEvent, type AccountEventListener, type AccountEventOutbox, type Actor, statusChange } from './account-events.ts';
import { type AccountScope, assertValidScope, inScope, scopeDetails } from './account-scope.ts';
import { splitAccountValues } from './account-values.ts';
import { type AccountView, toView } from './account-view.ts';
import { assertValidIdentifier } from './identifiers.ts';

import type { AuditRecorder } from '../audit/audit-entry.ts';
export { type AccountView, toView } from './account-view.ts';
export { assertValidIdentifier } from './identifiers.ts';

export const ACCOUNT_STATUSES: readonly AccountStatus[] = ['ACTIVE', 'EXPIRED', 'PENDING_AUTH', 'PENDING_VERIFICATION', 'DISCONNECTED'];

/**
 * How callers name an account: by id, or by (connection name, identifier) as the reference
 * does; with the reference's organization/user scope when the caller gives one (account-scope.ts).
 */
export type AccountRef = ({ id: string } | { connectionName: string; identifier: string }) & AccountScope;

/** What list and search filter on; names as callers give them (connection names, connector identifier). */
export interface AccountListFilter extends AccountScope {
  connectionName?: string | undefined;
  /** The connection by id (`conn_…`), as the reference's search takes it. */
  connectionId?: string | undefined;
  /** Any of these connections (the reference's `connection_names`). */
  connectionNames?: readonly string[] | undefined;
  /** The connector (its identifier or id; the reference's `provider`). */
  connector?: string | undefined;
  identifier?: string | undefined;
  status?: AccountStatus | undefined;
  /** Case-insensitive substring of identifier, connection name or connector identifier. */
  query?: string | undefined;
}

/** OAuth revocation on delete and disconnect (RFC 7009, O17): a durable queue (revocation-queue.ts). */
export interface Revocations {
  /** The queue row for this account's token, or null when there is nothing to revoke. */
  plan(row: AccountRow, connection: LoadedConnection): TokenRevocationRow | null;
  /** Tries a queued revocation now, after its transaction committed; never throws. */
  kick(id: string): void;
}

export function credentialsBinding(accountId: string): SecretBinding {
  return { table: 'connected_accounts', rowId: accountId, column: 'credentials' };
}

/** A credential-version compare-and-set lost to a concurrent writer is retried this often. */
const REMOVE_ATTEMPTS = 3;

export class AccountsService {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #connections: ConnectionsService;
  readonly #revocations: Revocations | undefined;
  readonly #onEvent: AccountEventListener | undefined;
  readonly #outbox: AccountEventOutbox | undefined;
  readonly #audit: AuditRecorder | undefined;

  constructor(deps: {
    store: Store;
    vault: Vault;
    clock: Clock;
    changes: ChangeFeed;
    connections: ConnectionsService;
    revocations?: Revocations;
    /** Lifecycle events (created, status changed, disconnected, deleted), after they committed: audit and webhooks hook in here. */
    onEvent?: AccountEventListener;
    /** Lifecycle events written in the change's own transaction (webhooks). */
    outbox?: AccountEventOutbox;
    /** The audit trail (src/audit): account creation, credentials set, disconnect and delete. */
    audit?: AuditRecorder;
  }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#connections = deps.connections;
    this.#revocations = deps.revocations;
    this.#onEvent = deps.onEvent;
    this.#outbox = deps.outbox;
    this.#audit = deps.audit;
  }

  /** Atomic on the server: concurrent calls for one (connection, identifier) get one account. */
  /** `actor`, here and in create/updateCredentials: who asked (audit trail, webhooks); none: `system`. */
  async getOrCreate(connectionName: string, identifier: string, scope: AccountScope = {}, actor?: Actor): Promise<{ account: AccountView; created: boolean }> {
    assertValidIdentifier(identifier);
    assertValidScope(scope);
    const connection = await this.#connections.load(connectionName);
    const now = this.#clock();
    const { account, created, event } = await this.#store.transaction(async (repos) => {
      const result = await repos.accounts.getOrCreate({
        ...this.#newRow(connection, identifier, scope, now),
        status: 'PENDING_AUTH',
        credentials: null,
        api_config: '{}',
        credentials_version: 0,
      });
      const created: AccountEvent | null = result.created ? { type: 'account.created', account: toView(result.account, connection), actor, at: now } : null;
      if (created) await this.record(repos, created);
      return { ...result, event: created };
    });
    if (event) this.announce(event);
    if (!inScope(account, scope)) throw existsElsewhere(connectionName, identifier, scope);
    if (created) this.#audit?.record({ actor, action: 'account.create', target: { type: 'connected_account', id: account.id }, details: { connection: connectionName, status: account.status } });
    return { account: toView(account, connection), created };
  }

  /** Bring your own credentials: creates an ACTIVE account from values the app already holds. */
  async create(connectionName: string, identifier: string, values: Record<string, unknown>, scope: AccountScope = {}, actor?: Actor): Promise<AccountView> {
    assertValidIdentifier(identifier);
    assertValidScope(scope);
    const connection = await this.#connections.load(connectionName);
    const { definition, pattern } = connection.connector;
    const split = splitAccountValues(definition, pattern, values);
    const now = this.#clock();
    const base = this.#newRow(connection, identifier, scope, now);
    const row: AccountRow = {
      ...base,
      status: 'ACTIVE',
      credentials: this.#vault.encryptJson(split.credentials, credentialsBinding(base.id)),
      api_config: JSON.stringify(split.apiConfig),
      credentials_version: 1,
      refresh_owner: null,
      refresh_lease_until: null,
      granted_scopes: null,
    };
    const view = toView(row, connection);
    const event: AccountEvent = { type: 'account.created', account: view, actor, at: now };
    const inserted = await this.#store.transaction(async (repos) => {
      if (!(await repos.accounts.insert(row))) return false;
      await this.record(repos, event);
      return true;
    });
    if (!inserted) throw new ToolproxyError('ACCOUNT_EXISTS', { details: { connection_name: connectionName, identifier } });
    this.#changes.accountChanged(connectionName, identifier);
    this.#audit?.record({ actor, action: 'account.create', target: { type: 'connected_account', id: row.id }, details: { connection: connectionName, status: row.status, with_credentials: true } });
    this.announce(event);
    return view;
  }

  #newRow(connection: LoadedConnection, identifier: string, scope: AccountScope, now: number) {
    return {
      id: newId('ca'),
      connection_id: connection.row.id,
      identifier,
      authorization_type: connection.row.auth_type,
      organization_id: scope.organizationId ?? null,
      user_id: scope.userId ?? null,
      token_expires_at: null,
      last_used_at: null,
      status_updated_at: now,
      created_at: now,
      updated_at: now,
    };
  }

  /** Replaces the credentials (and per-account fields) of an existing account; it becomes ACTIVE (a DISCONNECTED one reconnects). */
  async updateCredentials(ref: AccountRef, values: Record<string, unknown>, actor?: Actor): Promise<AccountView> {
    const { row, connection } = await this.load(ref);
    const split = splitAccountValues(connection.connector.definition, connection.connector.pattern, values);
    const now = this.#clock();
    const credentials = this.#vault.encryptJson(split.credentials, credentialsBinding(row.id));
    const written = await this.#store.transaction(async (repos) => {
      const updated = await repos.accounts.writeCredentials(row.id, row.credentials_version, {
        credentials,
        api_config: JSON.stringify(split.apiConfig),
        status: 'ACTIVE',
        token_expires_at: null,
        now,
      });
      if (!updated) return undefined;
      const view = toView(updated, connection);
      const event = statusChange(row.status, view, now, actor);
      if (event) await this.record(repos, event);
      return { view, event };
    });
    // Lost the compare-and-set: someone else wrote (or deleted) the account meanwhile.
    if (!written) throw new ToolproxyError('ACCOUNT_NOT_FOUND', { message: 'The account changed or was deleted meanwhile; read it again.' });
    this.#changes.accountChanged(connection.row.name, row.identifier);
    this.#audit?.record({ actor, action: 'credentials.set', target: { type: 'connected_account', id: row.id }, details: { connection: connection.row.name, via: 'api' } });
    if (written.event) this.announce(written.event);
    return written.view;
  }

  async get(ref: AccountRef): Promise<AccountView> {
    const { row, connection } = await this.load(ref);
    return toView(row, connection);
  }

  /** One page, with `totalSize`: how many accounts match across all pages. */
  async list(filter: AccountListFilter, page: PageRequest): Promise<Page<AccountView>> {
    const storeFilter = await this.#storeFilter(filter);
    if (storeFilter === null) return { items: [], nextPageToken: null, totalSize: 0 };
    const [result, totalSize] = await Promise.all([this.#store.accounts.list(page, storeFilter), this.#store.accounts.count(storeFilter)]);
    const connections = new Map<string, Promise<LoadedConnection>>();
    const items: AccountView[] = [];
    for (const row of result.items) {
      if (!connections.has(row.connection_id)) connections.set(row.connection_id, this.#connections.loadById(row.connection_id));
      items.push(toView(row, await connections.get(row.connection_id)!));
    }
    return { items, nextPageToken: result.nextPageToken, totalSize };
  }

  /** Names to ids; null when a named connection or connector does not exist (nothing can match). */
  async #storeFilter(filter: AccountListFilter): Promise<AccountFilter | null> {
    const storeFilter: AccountFilter = {};
    try {
      if (filter.connectionName) storeFilter.connectionId = (await this.#connections.load(filter.connectionName)).row.id;
      if (filter.connectionId) storeFilter.connectionId = (await this.#connections.loadById(filter.connectionId)).row.id;
      if (filter.connectionNames && filter.connectionNames.length > 0) {
        const found = await Promise.all(filter.connectionNames.map((name) => this.#connections.load(name).then((c) => c.row.id, () => null)));
        storeFilter.connectionIds = found.filter((id): id is string => id !== null);
      }
      if (filter.connector) storeFilter.connectorId = (await this.#connections.connector(filter.connector)).row.id;
    } catch (error) {
      // An unknown connector names no accounts: an empty list, as the reference answers.
      if (error instanceof ToolproxyError && error.code === 'CONNECTOR_NOT_FOUND') return null;
      throw error;
    }
    if (filter.identifier) storeFilter.identifier = filter.identifier;
    if (filter.status) storeFilter.status = filter.status;
    if (filter.organizationId) storeFilter.organizationId = filter.organizationId;
    if (filter.userId) storeFilter.userId = filter.userId;
    if (filter.query) storeFilter.query = filter.query;
    return storeFilter;
  }

  /**
   * DISCONNECTED: the credentials are deleted from the store (not hidden), the OAuth grant is
   * revoked (queued in the same transaction, so a crash cannot lose it), the account's pending
   * links are retired, and the account is kept. A new authorization link connects it again.
   * Disconnecting a DISCONNECTED account changes nothing.
   */
  async disconnect(ref: AccountRef, actor?: Actor): Promise<AccountView> {
    for (let attempt = 0; attempt < REMOVE_ATTEMPTS; attempt++) {
      const { row, connection } = await this.load(ref);
      if (row.status === 'DISCONNECTED' && row.credentials === null) return toView(row, connection);
      const revocation = this.#revocations?.plan(row, connection) ?? null;
      const now = this.#clock();
      const event = await this.#store.transaction(async (repos) => {
        const written = await repos.accounts.disconnect(row.id, row.credentials_version, now);
        if (!written) return undefined;
        await this.#afterRemoval(repos, row.id, revocation, now);
        const disconnected: AccountEvent = { type: 'account.disconnected', account: toView(written, connection), actor, at: now };
        await this.record(repos, disconnected);
        return disconnected;
      });
      if (!event) continue; // a refresh or a new credential landed meanwhile: read it again
      this.#committed(connection, row, revocation, event);
      return event.account;
    }
    throw new ToolproxyError('ACCOUNT_NOT_FOUND', { message: 'The account kept changing while it was being disconnected; try again.' });
  }

  /** Deletes the account, its credentials and links; the OAuth grant is revoked (queued, O17). */
  async delete(ref: AccountRef, actor?: Actor): Promise<void> {
    for (let attempt = 0; attempt < REMOVE_ATTEMPTS; attempt++) {
      const { row, connection } = await this.load(ref);
      const revocation = this.#revocations?.plan(row, connection) ?? null;
      const now = this.#clock();
      const event: AccountEvent = { type: 'account.deleted', account: toView(row, connection), actor, at: now };
      const deleted = await this.#store.transaction(async (repos) => {
        if (!(await repos.accounts.delete(row.id, row.credentials_version))) return false;
        await this.#afterRemoval(repos, row.id, revocation, null);
        await this.record(repos, event);
        return true;
      });
      if (!deleted) continue;
      this.#committed(connection, row, revocation, event);
      return;
    }
    throw new ToolproxyError('ACCOUNT_NOT_FOUND', { message: 'The account kept changing while it was being deleted; try again.' });
  }

  /**
   * Writes an event into the outbox inside the change's transaction (`repos`). The OAuth flow and
   * hosted links write accounts in their own transactions and record their events here too.
   */
  async record(repos: Repositories, event: AccountEvent): Promise<void> {
    await this.#outbox?.write(repos, event);
  }

  /**
   * After the commit: tells the listener (the audit trail) and lets the outbox send at once.
   * Listeners return at once and never throw.
   */
  announce(event: AccountEvent): void {
    this.#onEvent?.(event);
    this.#outbox?.committed();
  }

  async #afterRemoval(repos: Repositories, accountId: string, revocation: TokenRevocationRow | null, retireAt: number | null): Promise<void> {
    if (retireAt !== null) await repos.authorizationSessions.retireOutstanding(accountId, null, retireAt);
    if (revocation) await repos.tokenRevocations.insert(revocation);
  }

  #committed(connection: LoadedConnection, row: AccountRow, revocation: TokenRevocationRow | null, event: Parameters<AccountEventListener>[0]): void {
    this.#changes.accountChanged(connection.row.name, row.identifier);
    if (revocation) this.#revocations?.kick(revocation.id);
    this.#audit?.record({ action: event.type, target: { type: 'connected_account', id: row.id }, actor: event.actor, at: event.at, details: { connection: connection.row.name, grant_revocation_queued: revocation !== null } });
    this.announce(event);
  }

  async load(ref: AccountRef): Promise<{ row: AccountRow; connection: LoadedConnection }> {
    const scope: AccountScope = { organizationId: ref.organizationId, userId: ref.userId };
    if ('id' in ref) {
      const row = await this.#store.accounts.findById(ref.id);
      if (!row || !inScope(row, scope)) throw new ToolproxyError('ACCOUNT_NOT_FOUND', { details: { id: ref.id, ...scopeDetails(scope) } });
      return { row, connection: await this.#connections.loadById(row.connection_id) };
    }
    const connection = await this.#connections.load(ref.connectionName);
    const row = await this.#store.accounts.findByKey(connection.row.id, ref.identifier);
    if (!row || !inScope(row, scope)) {
      throw new ToolproxyError('ACCOUNT_NOT_FOUND', { details: { connection_name: ref.connectionName, identifier: ref.identifier, ...scopeDetails(scope) } });
    }
    return { row, connection };
  }
}

function existsElsewhere(connectionName: string, identifier: string, scope: AccountScope): ToolproxyError {
  return new ToolproxyError('ACCOUNT_EXISTS', {
    message: 'A connected account for this connection and identifier exists with another organization_id or user_id (they are set when an account is created and must match).',
    details: { connection_name: connectionName, identifier, ...scopeDetails(scope) },
  });
}
