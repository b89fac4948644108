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
  token_revocations: TokenRevocationTable;
  tools: ToolTable;
  mcp_configs: McpConfigTable;
  mcp_oauth_clients: McpOAuthClientTable;
  mcp_authorization_requests: McpAuthorizationRequestTable;
  mcp_grants: McpGrantTable;
  mcp_refresh_tokens: McpRefreshTokenTable;
  connection_policies: ConnectionPolicyTable;
  account_policies: AccountPolicyTable;
  policy_rate_buckets: PolicyRateBucketTable;
  approvals: ApprovalTable;
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
  /** The reference's organization and user of the account: labels set at creation, never changed. */
  organization_id: ColumnType<string | null, string | null | undefined, string | null>;
  user_id: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** Set (with used_at) when a newer link was issued or another link completed: this one is retired. */
  superseded_at: ColumnType<number | null, number | null | undefined, number | null>;
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

/** An OAuth revocation (RFC 7009) waiting to be retried; any instance may take it under a lease. */
export interface TokenRevocationTable {
  /** `rv_…` */
  id: string;
  /** The account it came from (maybe deleted since); for logs. */
  account_id: string;
  /** Whose OAuth client revokes it. */
  connection_id: string;
  /** Vault ciphertext of the token, bound to `token_revocations|<id>|token`. */
  token: string;
  token_type_hint: 'refresh_token' | 'access_token';
  /** Attempts made so far. */
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  /** Our code for the last failure (never the provider's body). */
  last_error: string | null;
  created_at: number;
}

export interface ToolTable {
  /** `tool_…` */
  id: string;
  connector_id: string;
  /** `<connector>_<action>`, unique across connectors. */
  name: string;
  /** The validated tool definition as JSON text (src/tools/definition-schema.ts). */
  definition: string;
  origin: ToolOrigin;
  /** Bumped on every change: compiled input schemas are cached per (id, version). */
  version: number;
  /** Lower-cased name, display name and description, for the text filter of tool listings. */
  search_text: string;
  created_at: number;
  updated_at: number;
}

/** `catalog` (built in, read-only), `custom` (a definition or the tools API) or `openapi` (imported). */
export type ToolOrigin = 'custom' | 'catalog' | 'openapi';

/** An MCP server config (the reference's virtual MCP server). */
export interface McpConfigTable {
  /** `mcp_…`; the config's URL is `<public url>/mcp/<id>`. */
  id: string;
  /** 1–100 of `[a-z0-9_-]`, unique. */
  name: string;
  description: string;
  /** `[{ connection_name, tools: string[] }]` as JSON; empty tools = all tools of the connection. */
  mappings: string;
  /** The app's page that confirms who its user is (MCP OAuth clients, OAuth connections' links). */
  user_verify_url: string | null;
  created_at: number;
  updated_at: number;
}

/** An MCP OAuth client registered through RFC 7591 Dynamic Client Registration. */
export interface McpOAuthClientTable {
  /** `tpmc_…` */
  client_id: string;
  /** SHA-256 of the client secret, for confidential clients; null for public ones. */
  secret_hash: string | null;
  /** The registered client metadata (JSON): client_name, redirect_uris, token_endpoint_auth_method, … */
  metadata: string;
  created_at: number;
}

/** One `/authorize` request, from the redirect to the app's user verification to the code. */
export interface McpAuthorizationRequestTable {
  /** `mar_…` */
  id: string;
  client_id: string;
  redirect_uri: string;
  /** PKCE S256 challenge (RFC 7636 §4.2). */
  code_challenge: string;
  scope: string;
  /** The resource (RFC 8707) the token will be for: this config's URL. */
  config_id: string;
  /** The client's own state, echoed back to it. */
  state: string | null;
  /** SHA-256 of the nonce in the cookie set on the browser that started the request. */
  browser_binding_hash: string;
  /** SHA-256 of the auth_request_id handed to the app's user_verify_url. */
  auth_request_hash: string;
  /** Set when the app confirmed its user (POST /api/v1/connected_accounts/user/verify). */
  identifier: string | null;
  verified_at: number | null;
  /** SHA-256 of the authorization code, once the user consented. */
  code_hash: string | null;
  code_expires_at: number | null;
  code_used_at: number | null;
  /** The grant the code was exchanged for (revoked if the code is replayed, RFC 6749 §4.1.2). */
  grant_id: string | null;
  expires_at: number;
  created_at: number;
}

/** What one MCP client may do for one identifier on one config; refresh tokens rotate within it. */
export interface McpGrantTable {
  /** `mcg_…` */
  id: string;
  client_id: string;
  config_id: string;
  identifier: string;
  scope: string;
  created_at: number;
  revoked_at: number | null;
}

export interface McpRefreshTokenTable {
  /** SHA-256 of the refresh token. */
  token_hash: string;
  grant_id: string;
  created_at: number;
  expires_at: number;
  /** Set when it was exchanged for a new one; presenting it again revokes the grant. */
  rotated_at: number | null;
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
export type TokenRevocationRow = Selectable<TokenRevocationTable>;
export type McpConfigRow = Selectable<McpConfigTable>;
export type McpOAuthClientRow = Selectable<McpOAuthClientTable>;
export type McpAuthorizationRequestRow = Selectable<McpAuthorizationRequestTable>;
export type McpGrantRow = Selectable<McpGrantTable>;
export type ToolRow = Selectable<ToolTable>;

/** A connection's policy (src/policy): the validated document as JSON. */
export interface ConnectionPolicyTable {
  connection_id: string;
  document: string;
  updated_at: number;
}

/** A connected account's narrowing policy (src/policy). */
export interface AccountPolicyTable {
  account_id: string;
  document: string;
  updated_at: number;
}

/** A rate limit's token bucket on Postgres (src/policy/rate-limiter.ts); `updated_at` in epoch ms. */
export interface PolicyRateBucketTable {
  account_id: string;
  tokens: number;
  granted: number;
  updated_at: number;
}
/** 0012-approvals: a call held for a person's decision (src/approvals, docs/approvals.md). */
export type ApprovalStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'EXPIRED' | 'EXECUTING' | 'EXECUTED';

export interface ApprovalTable {
  /** `apr_…` */
  id: string;
  status: ApprovalStatus;
  account_id: string;
  connection_name: string;
  identifier: string;
  method: string;
  /** Path and query under proxy_url, as the caller sent it. */
  path: string;
  /**
   * Vault ciphertext (bound to `approvals|<id>|headers`) of the JSON object of the caller's headers
   * that pass the header policy (never an injected credential); null once the call ran, was denied or expired.
   */
  headers: string | null;
  /** Vault ciphertext of the body (base64 inside), bound to `approvals|<id>|body`; null without a body, and once gone like the headers. */
  body: string | null;
  body_bytes: number;
  door: string;
  tool_name: string | null;
  execution_id: string | null;
  /** `<type>:<id>` of who made the call (src/actor.ts). */
  requested_by: string | null;
  /** The policy rule that asked for approval. */
  rule: string;
  /** 1 while the caller waits for the decision: it, not the approver, runs the call. */
  waiting: number;
  created_at: number;
  expires_at: number;
  decided_by: string | null;
  decided_at: number | null;
  executed_by: string | null;
  executed_at: number | null;
  /** The upstream status of the execution (or ours, when it was refused or failed). */
  result_status: number | null;
  result_error: string | null;
}

export type ApprovalRow = Selectable<ApprovalTable>;
