import type { Insertable, Selectable } from 'kysely';
import type {
  AccountRow,
  AccountStatus,
  ApiClientRow,
  AuthorizationSessionRow,
  ConnectionRow,
  ConnectionUpdate,
  ConnectorOrigin,
  ConnectorRow,
  NewAccountRow,
  TokenRevocationRow,
  NewConnectionRow,
  NewConnectorRow,
  Database,
} from './schema.ts';
import type { McpAuthorizationRepository } from './mcp-authorization-repository.ts';
import type { McpConfigRepository } from './mcp-configs-repository.ts';
import type { Page, PageRequest } from './pagination.ts';
import type { ToolRepository } from './tools-repository.ts';
import type { PolicyRepository } from './policies-repository.ts';
import type { WebhookRepository } from './webhooks-repository.ts';

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
  /** Raw ciphertext columns, for key rotation (`toolproxy keys rotate`) only. */
  secrets: SecretRepository;
  /** Redacted record of proxy calls, bounded by age and row count. */
  requestLog: RequestLogRepository;
  /** OAuth revocations waiting for a retry (RFC 7009; security checklist O17). */
  tokenRevocations: TokenRevocationRepository;
  /** Tools over connectors (built-in, custom, imported). */
  tools: ToolRepository;
  /** MCP server configs (src/mcp). */
  mcpConfigs: McpConfigRepository;
  /** The MCP OAuth authorization server's clients, requests, grants and refresh tokens. */
  mcpAuthorization: McpAuthorizationRepository;
  /** Connection and account policies, rate-limit buckets (src/policy). */
  policies: PolicyRepository;
  /** Webhook endpoints, events and the delivery outbox (src/webhooks). */
  webhooks: WebhookRepository;
}

// Paging types live with the paging code; every repository's callers import them from here too.
export type { Page, PageRequest } from './pagination.ts';

export interface ConnectorRepository {
  insert(row: NewConnectorRow): Promise<void>;
  /** By `id` (`prov_…`) or by `identifier`. */
  find(idOrIdentifier: string): Promise<ConnectorRow | undefined>;
  identifierExists(identifier: string): Promise<boolean>;
  list(page: PageRequest, filter?: { origin?: ConnectorOrigin }): Promise<Page<ConnectorRow>>;
  /**
   * Makes the built-in rows match the catalog: adds the missing ones and rewrites the ones whose
   * definition changed, in one transaction. An identifier a custom connector holds is left alone.
   */
  syncBuiltIns(rows: readonly BuiltInConnectorRow[]): Promise<BuiltInSync>;
  update(id: string, patch: Pick<ConnectorRow, 'display_name' | 'description' | 'definition' | 'updated_at'>): Promise<void>;
  /** Deletes only when no connection uses it; returns false (and deletes nothing) otherwise. */
  deleteIfUnused(id: string): Promise<'deleted' | 'in_use' | 'not_found'>;
}

/** A catalog connector as stored: `origin` is implied. */
export type BuiltInConnectorRow = Omit<ConnectorRow, 'origin'>;

/** Identifiers, by what syncing the catalog did to them. */
export interface BuiltInSync {
  inserted: string[];
  updated: string[];
  /** Held by a custom connector: the built-in one is not installed. */
  taken: string[];
}

export interface ConnectionRepository {
  /** Returns false when the name is taken (unique violation), true when inserted. */
  insert(row: NewConnectionRow): Promise<boolean>;
  findByName(name: string): Promise<ConnectionRow | undefined>;
  findById(id: string): Promise<ConnectionRow | undefined>;
  list(page: PageRequest, filter?: ConnectionFilter): Promise<Page<ConnectionRow>>;
  /** How many connections match the filter (for `total_size`). */
  count(filter?: ConnectionFilter): Promise<number>;
  update(id: string, patch: ConnectionUpdate): Promise<void>;
  /** Deletes only when no connected account uses it. */
  deleteIfUnused(id: string): Promise<'deleted' | 'in_use' | 'not_found'>;
}

export interface ConnectionFilter {
  connectorId?: string;
  /** Case-insensitive substring of the connection name or the connector identifier. */
  query?: string;
}

export interface AccountFilter {
  connectionId?: string;
  /** Any of these connections (the reference's `connection_names`). */
  connectionIds?: readonly string[];
  /** Accounts of connections on this connector (the reference's `provider`). */
  connectorId?: string;
  identifier?: string;
  status?: AccountStatus;
  organizationId?: string;
  userId?: string;
  /**
   * Case-insensitive (ASCII) substring of the identifier, the connection name or the connector
   * identifier: a search the app runs over its own accounts, never a lookup (S11 lookups stay exact).
   */
  query?: string;
}

/** An account whose identifier a current server would refuse (see accounts/identifiers.ts). */
export interface MalformedIdentifierCandidate {
  id: string;
  connection_id: string;
  identifier: string;
}

/** Change markers of an account and of what it depends on (see AccountRepository.versions). */
export interface AccountVersion {
  id: string;
  status: AccountStatus;
  credentials_version: number;
  updated_at: number;
  connection_updated_at: number;
  connection_enabled: number;
  connector_updated_at: number;
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
  /** How many accounts match the filter (for `total_size`). */
  count(filter?: AccountFilter): Promise<number>;
  /**
   * Accounts whose identifier starts or ends with whitespace or holds a C1 control character
   * (a coarse filter in SQL; the caller applies the exact rule). At most `limit`, in id order.
   */
  findIdentifierCandidates(limit: number): Promise<MalformedIdentifierCandidate[]>;
  /**
   * DISCONNECTED (compare-and-set on `credentials_version`): the credentials are dropped, the
   * version bumped (an in-flight refresh cannot write its tokens back), the row kept.
   * Undefined when the version moved or the row is gone.
   */
  disconnect(id: string, expectedVersion: number, now: number): Promise<AccountRow | undefined>;
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
      /** OAUTH: the scopes the provider granted; left unchanged when undefined. */
      granted_scopes?: string | null;
      now: number;
    },
  ): Promise<AccountRow | undefined>;
  /**
   * OAuth refresh lease (security-checklist §3.3): takes it when free or expired and returns the
   * row as it is now (the caller re-reads under the lease), or undefined when someone else holds it.
   */
  claimRefreshLease(id: string, owner: string, now: number, until: number): Promise<AccountRow | undefined>;
  /** Releases the lease only if `owner` still holds it. */
  releaseRefreshLease(id: string, owner: string): Promise<void>;
  /**
   * Writes refreshed tokens only while `owner` holds the lease and the version is unchanged, and
   * frees the lease. Undefined when the lease was lost or the row deleted (never resurrected).
   */
  writeRefreshedCredentials(
    id: string,
    owner: string,
    expectedVersion: number,
    patch: { credentials: string; token_expires_at: number | null; granted_scopes: string | null; now: number },
  ): Promise<AccountRow | undefined>;
  setStatus(id: string, status: AccountStatus, now: number): Promise<AccountRow | undefined>;
  /**
   * What the proxy's cache compares to tell whether a cached account is still current: for each
   * id that still exists, its row's and its connection's and connector's change markers.
   */
  versions(ids: readonly string[]): Promise<AccountVersion[]>;
  /** Batched `last_used_at` flush: sets the max of the stored and given times. */
  touchLastUsed(entries: ReadonlyArray<{ id: string; at: number }>): Promise<void>;
  /**
   * Deletes the account and its authorization sessions; with `expectedVersion`, only while
   * `credentials_version` still equals it (what was read is what gets revoked).
   */
  delete(id: string, expectedVersion?: number): Promise<boolean>;
}

export interface AuthorizationSessionRepository {
  insert(row: {
    id: string;
    token_hash: string;
    account_id: string;
    expires_at: number;
    created_at: number;
    redirect_url?: string | null;
    user_verify_url?: string | null;
  }): Promise<void>;
  /** Starts (or restarts) the OAuth flow of a live session; a new start replaces the old state. */
  startOAuthFlow(
    id: string,
    flow: { oauth_state_hash: string; browser_binding_hash: string; pkce_verifier: string | null; pending_api_config: string },
    now: number,
  ): Promise<boolean>;
  findByStateHash(stateHash: string): Promise<AuthorizationSessionRow | undefined>;
  /** RFC 9700 §4.2.4: a state is used once. Clears it; exactly one concurrent caller gets true. */
  takeState(id: string, stateHash: string, now: number): Promise<boolean>;
  setAuthRequest(id: string, authRequestHash: string): Promise<void>;
  findByAuthRequestHash(authRequestHash: string): Promise<AuthorizationSessionRow | undefined>;
  /** Marks a user verification done; exactly one concurrent caller gets true. */
  completeVerification(id: string, now: number): Promise<boolean>;
  findByTokenHash(tokenHash: string): Promise<AuthorizationSessionRow | undefined>;
  findById(id: string): Promise<AuthorizationSessionRow | undefined>;
  /**
   * Marks the session used if it is unused and not expired at `now`. Exactly one concurrent
   * caller wins (returns true).
   */
  consume(id: string, now: number): Promise<boolean>;
  /** Removes sessions that expired before `before` (housekeeping). Returns the count. */
  deleteExpired(before: number): Promise<number>;
  /**
   * Retires the account's outstanding links (unused, unexpired) other than `exceptId`: they are
   * marked used and superseded, so none of them can write credentials any more. Returns the count.
   */
  retireOutstanding(accountId: string, exceptId: string | null, now: number): Promise<number>;
}

export interface TokenRevocationRepository {
  insert(row: TokenRevocationRow): Promise<void>;
  /** Ids of revocations due at `now` and not leased, oldest due first. */
  due(now: number, limit: number): Promise<string[]>;
  /** Takes the lease when the row is due and free (compare-and-set); the row, or undefined. */
  claim(id: string, owner: string, now: number, until: number): Promise<TokenRevocationRow | undefined>;
  /** Done (revoked, or given up): removes the row if `owner` still holds it. */
  remove(id: string, owner: string): Promise<boolean>;
  /** Failed again: records it, schedules the next attempt and frees the lease (only its owner). */
  reschedule(id: string, owner: string, patch: { attempts: number; next_attempt_at: number; last_error: string }): Promise<boolean>;
  findById(id: string): Promise<TokenRevocationRow | undefined>;
  count(): Promise<number>;
}

export interface ApiClientRepository {
  insert(row: { id: string; client_id: string; secret_hash: string; name: string; is_bootstrap: number; created_at: number }): Promise<void>;
  findByClientId(clientId: string): Promise<ApiClientRow | undefined>;
  list(): Promise<ApiClientRow[]>;
  revoke(clientId: string, now: number): Promise<boolean>;
  /** The database's first bootstrap client (revoked or not), if it ever had one. */
  findBootstrap(): Promise<ApiClientRow | undefined>;
  /**
   * Inside `store.transaction`: until it ends, no other instance gets past this call (Postgres
   * advisory lock), so instances starting together on one database create one bootstrap client.
   * SQLite has one writer at a time already.
   */
  lockBootstrap(): Promise<void>;
}

export interface EncryptionKeyRepository {
  list(): Promise<string[]>;
  /** Inserts the kid if absent. */
  ensure(kid: string, now: number): Promise<void>;
}

/** A column holding vault ciphertext; the list is SECRET_COLUMNS in secrets-repository.ts. */
export interface SecretColumn {
  table: keyof Database;
  column: string;
  version?: string;
}

export interface StoredSecret {
  id: string;
  /** The ciphertext as stored. */
  value: string;
  /** The row's compare-and-set counter, when the column has one. */
  version: number | null;
}

/** Raw access to secret columns, for key rotation only; services use their own repositories. */
export interface SecretRepository {
  /** How many non-null values of the column are not written with key `kid`. */
  countNotOnKid(column: SecretColumn, kid: string): Promise<number>;
  /** The next `limit` such rows with an id greater than `afterId`, in id order. */
  listNotOnKid(column: SecretColumn, kid: string, afterId: string | null, limit: number): Promise<StoredSecret[]>;
  /**
   * Compare-and-set: writes `next` only while the row still holds exactly `current.value` (and
   * `current.version`). The version is not bumped: the plaintext is unchanged, and a writer that
   * read the row before us must still win its own compare-and-set (a refreshed OAuth token must
   * never be lost to a rotation). Returns false when the row changed or is gone.
   */
  replace(column: SecretColumn, current: StoredSecret, next: string): Promise<boolean>;
}

export type NewRequestLogRow = Insertable<Database['request_log']>;

export interface RequestLogEntryRow extends Selectable<Database['request_log']> {
  /** The account's identifier, null when the call had no account or it was deleted since. */
  identifier: string | null;
}

export type RequestLogStatusFilter =
  | { kind: 'exact'; status: number }
  | { kind: 'range'; from: number; to: number }
  | { kind: 'error' }
  | { kind: 'success' };

export interface RequestLogFilter {
  /** Only entries with a smaller id (keyset paging, newest first). */
  before?: number;
  connectionName?: string;
  accountId?: string;
  identifier?: string;
  status?: RequestLogStatusFilter;
  door?: string;
  toolName?: string;
  executionId?: string;
}

export interface RequestLogRepository {
  insertMany(rows: readonly NewRequestLogRow[]): Promise<void>;
  /** Newest first. */
  list(filter: RequestLogFilter, limit: number): Promise<RequestLogEntryRow[]>;
  /** What the stats buckets need, for entries created at or after `from`. */
  since(from: number, connectionName?: string): Promise<Array<{ created_at: number; status: number; latency_ms: number; error_code: string | null }>>;
  /** The newest id, or null when the log is empty. */
  maxId(): Promise<number | null>;
  /** Deletes at most `limit` of the oldest entries created before `olderThan` or with an id up to `upToId`; returns the count. */
  deleteBatch(olderThan: number, upToId: number, limit: number): Promise<number>;
}

// The tools table's rows, filters and repository live with its implementation, as the MCP configs' do.
export type { BuiltInToolSync, ConnectionToolRow, IdentifierToolFilter, ToolFilter, ToolListRow, ToolRepository, ToolWrite } from './tools-repository.ts';
