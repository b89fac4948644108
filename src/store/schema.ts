import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database as Kysely sees it. The same schema runs on SQLite (embedded default) and on
 * Postgres (`DATABASE_URL`). Portable column types only:
 * - times are integer milliseconds since the epoch (`bigint` on Postgres, read back as numbers);
 * - booleans are integers 0/1;
 * - JSON documents are text;
 * - secrets are vault ciphertext strings (`v1.<kid>.<iv>.<ct>.<tag>`), bound by AAD to
 *   `<table>|<id>|<column>`; a plaintext secret never reaches a column.
 */
export interface Database {
  connectors: ConnectorTable;
  connections: ConnectionTable;
  connected_accounts: ConnectedAccountTable;
  authorization_sessions: AuthorizationSessionTable;
  api_clients: ApiClientTable;
  encryption_keys: EncryptionKeyTable;
  request_log: RequestLogTable;
}

export interface ConnectorTable {
  /** `prov_…`, system-made. */
  id: string;
  /** Human-usable handle, derived from display_name (`acme-billing`), unique. */
  identifier: string;
  display_name: string;
  description: string;
  /** The full validated definition as JSON text (display_name, proxy_url, auth_patterns, …). */
  definition: string;
  /** `custom` (made through the API) or `catalog` (built in, from catalog/*.yaml; read-only). */
  origin: ColumnType<ConnectorOrigin, ConnectorOrigin | undefined, ConnectorOrigin>;
  created_at: number;
  updated_at: number;
}

export type ConnectorOrigin = 'custom' | 'catalog';

export interface ConnectionTable {
  /** `conn_…` */
  id: string;
  /** The `connectionName` every SDK call passes; unique. */
  name: string;
  connector_id: string;
  /** Auth type of the connector's pattern at creation: OAUTH | BASIC | BEARER | API_KEY. */
  auth_type: string;
  /** Non-secret settings as JSON text (scopes, OAuth options, …). `{}` for static auth. */
  settings: string;
  /** Vault ciphertext of the secret settings (e.g. OAuth client secret), or null. */
  secrets: string | null;
  enabled: number;
  created_at: number;
  updated_at: number;
}

export type AccountStatus = 'ACTIVE' | 'EXPIRED' | 'PENDING_AUTH' | 'PENDING_VERIFICATION' | 'DISCONNECTED';

export interface ConnectedAccountTable {
  /** `ca_…` */
  id: string;
  connection_id: string;
  /** The application's own user id. Unique together with connection_id. */
  identifier: string;
  status: AccountStatus;
  authorization_type: string;
  /** Vault ciphertext of the credential fields as a JSON object, or null before authorization. */
  credentials: string | null;
  /** Non-secret per-account values as JSON text (template fields such as `domain`). */
  api_config: string;
  /** Bumped on every credential write; compare-and-set guard for concurrent writers. */
  credentials_version: number;
  token_expires_at: number | null;
  last_used_at: number | null;
  status_updated_at: number;
  /** OAuth refresh lease: who holds it and until when (epoch ms); null when free. */
  refresh_owner: ColumnType<string | null, string | null | undefined, string | null>;
  refresh_lease_until: ColumnType<number | null, number | null | undefined, number | null>;
  /** Space-separated scopes the provider granted (RFC 6749 §5.1), for OAUTH accounts. */
  granted_scopes: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: number;
  updated_at: number;
}

export interface AuthorizationSessionTable {
  /** `as_…` */
  id: string;
  /** SHA-256 (hex) of the link token; the token itself is never stored (S12). */
  token_hash: string;
  account_id: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
  /** OAuth flow: SHA-256 of the current `state` (single use: cleared when taken). */
  oauth_state_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** SHA-256 of the nonce in the browser cookie set when the flow started (O2). */
  browser_binding_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** Vault ciphertext of the PKCE code verifier. */
  pkce_verifier: ColumnType<string | null, string | null | undefined, string | null>;
  /** Account fields submitted before the redirect (JSON), applied when the flow completes. */
  pending_api_config: ColumnType<string | null, string | null | undefined, string | null>;
  /** Where to send the browser after success (checked against the allow-list at link creation). */
  redirect_url: ColumnType<string | null, string | null | undefined, string | null>;
  /** Reference §3.5 user verification: the app's page that confirms who authorized. */
  user_verify_url: ColumnType<string | null, string | null | undefined, string | null>;
  auth_request_hash: ColumnType<string | null, string | null | undefined, string | null>;
  verified_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface ApiClientTable {
  /** `cli_…` internal id. */
  id: string;
  /** Public client id (`tpc_…`). */
  client_id: string;
  /** SHA-256 (hex) of the 256-bit random client secret. */
  secret_hash: string;
  name: string;
  is_bootstrap: number;
  created_at: number;
  revoked_at: number | null;
}

export interface EncryptionKeyTable {
  /** Key id derived from the key itself; lets a restart detect a wrong key (S6). */
  kid: string;
  created_at: number;
}

export interface RequestLogTable {
  id: Generated<number>;
  created_at: number;
  connection_name: string;
  account_id: string | null;
  method: string;
  /** Path without query values. */
  path: string;
  status: number;
  latency_ms: number;
  bytes_in: ColumnType<number, number | undefined, number>;
  bytes_out: ColumnType<number, number | undefined, number>;
  error_code: string | null;
  /** 0004-pipeline: the front door (`proxy`, `tool`, `mcp`), the tool and its execution, who called. */
  door: ColumnType<string, string | undefined, string>;
  tool_name: ColumnType<string | null, string | null | undefined, string | null>;
  execution_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** `<type>:<id>`, e.g. `api_client:tpc_…` (see src/actor.ts). */
  actor: ColumnType<string | null, string | null | undefined, string | null>;
}

export type ConnectorRow = Selectable<ConnectorTable>;
export type NewConnectorRow = Insertable<ConnectorTable>;
export type ConnectionRow = Selectable<ConnectionTable>;
export type NewConnectionRow = Insertable<ConnectionTable>;
export type ConnectionUpdate = Updateable<ConnectionTable>;
export type AccountRow = Selectable<ConnectedAccountTable>;
export type NewAccountRow = Insertable<ConnectedAccountTable>;
export type AuthorizationSessionRow = Selectable<AuthorizationSessionTable>;
export type ApiClientRow = Selectable<ApiClientTable>;
export type RequestLogRow = Selectable<RequestLogTable>;
