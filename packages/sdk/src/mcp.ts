import { type CallOptions, segment, type Transport } from './transport.ts';
import type { AccountStatus } from './types.ts';
import type { PolicyDocument } from './policies.ts';

/** Which tools of one connection an MCP server serves; no `tools` (or empty) serves all of them. */
export interface McpToolMapping {
  connectionName: string;
  tools?: string[];
}

/** An MCP server config (the reference's "virtual MCP server"). */
export interface McpConfig {
  id: string;
  name: string;
  description: string;
  connectionToolMappings: Array<{ connectionName: string; tools: string[] }>;
  /** Your page that confirms who your user is, for MCP clients that connect with OAuth. */
  userVerifyUrl: string | null;
  /** The Streamable HTTP URL an MCP client connects to; stable for the life of the config. */
  mcpServerUrl: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface McpSessionToken {
  /** Send as `Authorization: Bearer <sessionToken>` to `mcpServerUrl`. Returned once: a secret. */
  sessionToken: string;
  expiresAt: Date;
  identifier: string;
  mcpServerUrl: string;
}

export interface McpConnectedAccount {
  connectionName: string;
  /** The connector's display name; null when the connection no longer exists. */
  connector: string | null;
  status: AccountStatus | 'NOT_CONNECTED' | 'CONNECTION_NOT_FOUND';
  connectedAccountId: string | null;
  authorizationLink: { link: string; expiry: Date } | null;
}

type Wire = Record<string, any>;

/**
 * MCP server configs, the session tokens agents connect with, and where a user stands on each
 * mapped connection (reference `create_session_token`, `list_mcp_connected_accounts`).
 */
export class Mcp {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * An invalid config raises `ToolproxyApiError` with code `MCP_CONFIG_INVALID` and every problem
   * in `error.problems`.
   *
   * @example
   * const config = await client.mcp.createConfig({ name: 'support-agent', connectionToolMappings: [{ connectionName: 'github' }] });
   * console.log(config.mcpServerUrl);
   */
  async createConfig(input: { name: string; description?: string; connectionToolMappings: McpToolMapping[]; userVerifyUrl?: string } & CallOptions): Promise<McpConfig> {
    const body = await this.#transport.json<{ mcp_config: Wire }>('POST', '/api/v1/mcp/configs', { ...input, body: toWireConfig(input) });
    return toMcpConfig(body.mcp_config);
  }

  async getConfig(id: string, options: CallOptions = {}): Promise<McpConfig> {
    return toMcpConfig((await this.#transport.json<{ mcp_config: Wire }>('GET', `/api/v1/mcp/configs/${segment(id)}`, options)).mcp_config);
  }

  async listConfigs(options: { pageSize?: number; pageToken?: string } & CallOptions = {}): Promise<{ configs: McpConfig[]; nextPageToken: string | null }> {
    const body = await this.#transport.json<{ mcp_configs: Wire[]; next_page_token: string | null }>('GET', '/api/v1/mcp/configs', {
      ...options,
      query: { page_size: options.pageSize, page_token: options.pageToken },
    });
    return { configs: body.mcp_configs.map(toMcpConfig), nextPageToken: body.next_page_token };
  }

  /** Changes the fields given; `userVerifyUrl: null` removes it. Connected MCP clients see `tools/list_changed`. */
  async updateConfig(
    id: string,
    patch: { name?: string; description?: string; connectionToolMappings?: McpToolMapping[]; userVerifyUrl?: string | null },
    options: CallOptions = {},
  ): Promise<McpConfig> {
    const body = await this.#transport.json<{ mcp_config: Wire }>('PATCH', `/api/v1/mcp/configs/${segment(id)}`, { ...options, body: toWireConfig(patch) });
    return toMcpConfig(body.mcp_config);
  }

  /** Its session tokens stop working at once, and OAuth grants made for it are deleted. */
  async deleteConfig(id: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.json('DELETE', `/api/v1/mcp/configs/${segment(id)}`, options);
  }

  /**
   * A session token for one of your users, for one agent run (60 s to 24 h, 1 h by default).
   * `policy` (optional): the token's own policy (docs/policies.md), checked on every call the agent
   * makes on top of the connection's and the account's, so it can only narrow them.
   *
   * @example
   * const { sessionToken, mcpServerUrl } = await client.mcp.createSessionToken({ configId: config.id, identifier: 'user_123' });
   * // MCP client: new StreamableHTTPClientTransport(new URL(mcpServerUrl), { requestInit: { headers: { Authorization: `Bearer ${sessionToken}` } } })
   */
  async createSessionToken(input: { configId: string; identifier: string; expirySeconds?: number; policy?: PolicyDocument } & CallOptions): Promise<McpSessionToken> {
    const body = await this.#transport.json<Wire>('POST', `/api/v1/mcp/configs/${segment(input.configId)}/session_tokens`, {
      ...input,
      body: { identifier: input.identifier, ...(input.expirySeconds === undefined ? {} : { expiry_seconds: input.expirySeconds }), ...(input.policy === undefined ? {} : { policy: input.policy }) },
    });
    return { sessionToken: body.session_token, expiresAt: new Date(body.expires_at), identifier: body.identifier, mcpServerUrl: body.mcp_server_url };
  }

  /** Where the user stands on each mapped connection; with `includeAuthLink`, a fresh link for each one not ACTIVE. */
  async listConnectedAccounts(input: { configId: string; identifier: string; includeAuthLink?: boolean } & CallOptions): Promise<McpConnectedAccount[]> {
    const body = await this.#transport.json<{ connected_accounts: Wire[] }>('GET', `/api/v1/mcp/configs/${segment(input.configId)}/connected_accounts`, {
      ...input,
      query: { identifier: input.identifier, include_auth_link: input.includeAuthLink ? true : undefined },
    });
    return body.connected_accounts.map((wire) => ({
      connectionName: wire.connection_name,
      connector: wire.connector ?? null,
      status: wire.status,
      connectedAccountId: wire.connected_account_id ?? null,
      authorizationLink: wire.authorization_link ? { link: wire.authorization_link.link, expiry: new Date(wire.authorization_link.expiry) } : null,
    }));
  }
}

function toWireConfig(input: { name?: string; description?: string; connectionToolMappings?: McpToolMapping[]; userVerifyUrl?: string | null }): Wire {
  return {
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.connectionToolMappings === undefined
      ? {}
      : { connection_tool_mappings: input.connectionToolMappings.map((m) => ({ connection_name: m.connectionName, tools: m.tools ?? [] })) }),
    ...(input.userVerifyUrl === undefined ? {} : { user_verify_url: input.userVerifyUrl }),
  };
}

function toMcpConfig(wire: Wire): McpConfig {
  return {
    id: wire.id,
    name: wire.name,
    description: wire.description ?? '',
    connectionToolMappings: (wire.connection_tool_mappings ?? []).map((m: Wire) => ({ connectionName: m.connection_name, tools: m.tools ?? [] })),
    userVerifyUrl: wire.user_verify_url ?? null,
    mcpServerUrl: wire.mcp_server_url,
    createdAt: new Date(wire.created_at),
    updatedAt: new Date(wire.updated_at),
  };
}
