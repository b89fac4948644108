/** The API's wire shapes the dashboard reads (see /api/openapi.json). */

export type AuthType = 'OAUTH' | 'API_KEY' | 'BASIC' | 'BEARER' | string;

export interface AuthPattern {
  type: AuthType;
  display_name?: string;
  description?: string;
  fields?: { field_name: string; label?: string; input_type?: string; required?: boolean; hint?: string }[];
  oauth_config?: { available_scopes?: { scope: string; display_name?: string; required?: boolean }[] };
  [key: string]: unknown;
}

export interface Provider {
  id: string;
  identifier: string;
  display_name: string;
  description?: string;
  proxy_url: string;
  proxy_enabled: boolean;
  icon_src?: string;
  auth_patterns: AuthPattern[];
  is_custom: boolean;
  /** Free-form strings; built-in connectors carry `category` and `docs_url` (their API's auth docs). */
  metadata?: { category?: string; docs_url?: string; [key: string]: string | undefined };
  created_at: string;
  updated_at: string;
  [key: string]: unknown;
}

export interface Connection {
  id: string;
  name: string;
  connector: string;
  connector_id: string;
  type: AuthType;
  enabled: boolean;
  settings: Record<string, unknown>;
  /** OAUTH connections: the callback URL to register at the provider. */
  redirect_uri?: string;
  created_at: string;
  updated_at: string;
}

export const ACCOUNT_STATUSES = ['ACTIVE', 'EXPIRED', 'PENDING_AUTH', 'PENDING_VERIFICATION', 'DISCONNECTED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export interface ConnectedAccount {
  id: string;
  identifier: string;
  connection_name: string;
  connector: string;
  status: AccountStatus;
  authorization_type: string;
  has_credentials: boolean;
  token_expires_at: string | null;
  last_used_at: string | null;
  status_updated_at: string;
  created_at: string;
  updated_at: string;
}

export interface RequestLogEntry {
  id: string;
  created_at: string;
  connection_name: string;
  /** Null when the call failed before an account was found, or the account is gone. */
  identifier: string | null;
  account_id: string | null;
  method: string;
  path: string;
  status: number;
  latency_ms: number;
  bytes_in: number;
  bytes_out: number;
  error_code: string | null;
  /** How the call came in: `/proxy`, a tool run (`execute_tool`), MCP, or an approved call. */
  door?: 'proxy' | 'tool' | 'mcp' | 'approval';
  /** The tool that rendered the call (tool and MCP calls). */
  tool_name?: string | null;
  execution_id?: string | null;
}

export interface StatsBucket {
  start: string;
  count: number;
  errors: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface Problem {
  path: string;
  message: string;
}

/** An MCP server config. */
export interface McpConfig {
  id: string;
  name: string;
  description: string;
  connection_tool_mappings: { connection_name: string; tools: string[] }[];
  user_verify_url: string | null;
  mcp_server_url: string;
  created_at: string;
  updated_at: string;
}

/** A tool as the API lists it (the reference's Tool shape). */
export interface Tool {
  id: string;
  provider: string;
  definition: {
    name: string;
    display_name: string;
    description: string;
    input_schema: Record<string, unknown>;
    output_schema?: Record<string, unknown>;
  };
  metadata: { connector_id: string; origin: string; version: number; request: Record<string, unknown>; output?: Record<string, unknown> };
  tags: string[];
  is_default: boolean;
  created_at: string;
  updated_at: string;
}
