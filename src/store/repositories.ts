import type {
  AccountRow,
  AccountStatus,
  ApiClientRow,
  AuthorizationSessionRow,
  ConnectionRow,
  ConnectionUpdate,
  ConnectorRow,
  NewAccountRow,
  NewConnectionRow,
  NewConnectorRow,
} from './schema.ts';

/**
 * What the services may ask of the database. One repository per table; no HTTP, no business
 * rules beyond what SQL must guarantee (uniqueness, compare-and-set, single use).
 * Every lookup is an exact match (S11): no LIKE on identifiers.
 */
export interface Repositories {
  connectors: ConnectorRepository;
  connections: ConnectionRepository;
  accounts: AccountRepository;
  authorizationSessions: AuthorizationSessionRepository;
  apiClients: ApiClientRepository;
  encryptionKeys: EncryptionKeyRepository;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, or null at the end. */
  nextPageToken: string | null;
}

export interface PageRequest {
  pageSize: number;
  pageToken?: string | null;
}

export interface ConnectorRepository {
  insert(row: NewConnectorRow): Promise<void>;
  /** By `id` (`prov_…`) or by `identifier`. */
  find(idOrIdentifier: string): Promise<ConnectorRow | undefined>;
  identifierExists(identifier: string): Promise<boolean>;
  list(page: PageRequest): Promise<Page<ConnectorRow>>;
  update(id: string, patch: Pick<ConnectorRow, 'display_name' | 'description' | 'definition' | 'updated_at'>): Promise<void>;
  /** Deletes only when no connection uses it; returns false (and deletes nothing) otherwise. */
  deleteIfUnused(id: string): Promise<'deleted' | 'in_use' | 'not_found'>;
}

export interface ConnectionRepository {
  /** Returns false when the name is taken (unique violation), true when inserted. */
  insert(row: NewConnectionRow): Promise<boolean>;
  findByName(name: string): Promise<ConnectionRow | undefined>;
  findById(id: string): Promise<ConnectionRow | undefined>;
  list(page: PageRequest, filter?: { connectorId?: string }): Promise<Page<ConnectionRow>>;
  update(id: string, patch: ConnectionUpdate): Promise<void>;
  /** Deletes only when no connected account uses it. */
  deleteIfUnused(id: string): Promise<'deleted' | 'in_use' | 'not_found'>;
}

export interface AccountFilter {
  connectionId?: string;
  identifier?: string;
  status?: AccountStatus;
}

export interface AccountRepository {
  /**
   * Atomic get-or-create on (connection_id, identifier): concurrent callers all get the one row.
   * `created` is true only for the caller whose insert won.
   */
  getOrCreate(row: NewAccountRow): Promise<{ account: AccountRow; created: boolean }>;
  /** Returns false when (connection_id, identifier) is taken. */
  insert(row: NewAccountRow): Promise<boolean>;
  findById(id: string): Promise<AccountRow | undefined>;
  findByKey(connectionId: string, identifier: string): Promise<AccountRow | undefined>;
  list(page: PageRequest, filter?: AccountFilter): Promise<Page<AccountRow>>;
  /**
   * Compare-and-set credential write: applies only when `credentials_version` still equals
   * `expectedVersion`, bumping it by one. Returns the new row, or undefined when the CAS lost
   * (or the row is gone; a deleted row is never resurrected).
   */
  writeCredentials(
    id: string,
    expectedVersion: number,
    patch: {
      credentials: string | null;
      api_config: string;
      status: AccountStatus;
      token_expires_at: number | null;
      now: number;
    },
  ): Promise<AccountRow | undefined>;
  setStatus(id: string, status: AccountStatus, now: number): Promise<AccountRow | undefined>;
  /** Batched `last_used_at` flush: sets the max of the stored and given times. */
  touchLastUsed(entries: ReadonlyArray<{ id: string; at: number }>): Promise<void>;
  /** Deletes the account and its authorization sessions. */
  delete(id: string): Promise<boolean>;
}

export interface AuthorizationSessionRepository {
  insert(row: { id: string; token_hash: string; account_id: string; expires_at: number; created_at: number }): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<AuthorizationSessionRow | undefined>;
  /**
   * Marks the session used if it is unused and not expired at `now`. Exactly one concurrent
   * caller wins (returns true).
   */
  consume(id: string, now: number): Promise<boolean>;
  /** Removes sessions that expired before `before` (housekeeping). Returns the count. */
  deleteExpired(before: number): Promise<number>;
}

export interface ApiClientRepository {
  insert(row: { id: string; client_id: string; secret_hash: string; name: string; is_bootstrap: number; created_at: number }): Promise<void>;
  findByClientId(clientId: string): Promise<ApiClientRow | undefined>;
  list(): Promise<ApiClientRow[]>;
  revoke(clientId: string, now: number): Promise<boolean>;
}

export interface EncryptionKeyRepository {
  list(): Promise<string[]>;
  /** Inserts the kid if absent. */
  ensure(kid: string, now: number): Promise<void>;
}
