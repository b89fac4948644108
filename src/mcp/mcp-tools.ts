import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpPrincipal } from './authenticator.ts';
import type { McpToolMapping } from './config-schema.ts';
import type { McpConnectedAccounts, McpConnectionState } from './connected-accounts.ts';
import type { McpScope, McpToolProvider, ToolOutcome } from './tool-provider.ts';
import { type AuthorizationLink, authorizeResult, authorizeTool, authorizeToolName, toCallToolResult, toMcpTool } from './tool-results.ts';

/** What a `tools/call` did, for metrics and the log. */
export interface CallRecord {
  tool: string;
  connection: string | null;
  outcome: ToolOutcome['kind'] | 'authorize' | 'error';
}

/**
 * What one identifier sees through one config: the mapped tools of its ACTIVE accounts (from the
 * tool provider), and for every mapped connection it has not authorized an `authorize_<name>`
 * tool whose result is a fresh authorization link (issue 13).
 */
export class McpTools {
  readonly #provider: McpToolProvider;
  readonly #accounts: McpConnectedAccounts;

  constructor(deps: { provider: McpToolProvider; accounts: McpConnectedAccounts }) {
    this.#provider = deps.provider;
    this.#accounts = deps.accounts;
  }

  async list(principal: McpPrincipal, signal: AbortSignal): Promise<Tool[]> {
    const { config } = principal;
    const states = await this.#accounts.states(config, principal.identifier);
    const active = config.mappings.filter((_, i) => states[i]!.status === 'ACTIVE');
    const views = active.length > 0 ? await this.#provider.list(scopeOf(principal, active), signal) : [];
    const tools = views.filter((view) => allowed(principal, active, view.connectionName, view.name)).map(toMcpTool);
    config.mappings.forEach((mapping, i) => {
      const state = states[i]!;
      if (state.status !== 'ACTIVE' && state.status !== 'CONNECTION_NOT_FOUND') {
        tools.push(authorizeTool(mapping.connectionName, state.connectorName ?? mapping.connectionName, state.status));
      }
    });
    return tools;
  }

  async call(principal: McpPrincipal, name: string, args: Record<string, unknown>, signal: AbortSignal, record: (r: CallRecord) => void): Promise<CallToolResult> {
    const { config } = principal;
    const authorizing = config.mappings.find((mapping) => authorizeToolName(mapping.connectionName) === name);
    if (authorizing) {
      record({ tool: name, connection: authorizing.connectionName, outcome: 'authorize' });
      return this.#authorize(principal, authorizing.connectionName);
    }
    if (!mayExist(principal, name)) {
      record({ tool: name, connection: null, outcome: 'unknown_tool' });
      throw unknownTool(name);
    }
    const outcome = await this.#provider.call(scopeOf(principal, config.mappings), name, args, signal);
    record({ tool: name, connection: 'connectionName' in outcome ? outcome.connectionName : null, outcome: outcome.kind });
    if (outcome.kind === 'unknown_tool') throw unknownTool(name);
    if (outcome.kind !== 'not_authorized') return toCallToolResult(outcome);
    // A provider must stay inside the mappings; a link for any other connection is never handed out.
    if (!config.mappings.some((m) => m.connectionName === outcome.connectionName)) throw unknownTool(name);
    const link = await this.#link(principal, outcome.connectionName, outcome.accountStatus);
    return toCallToolResult(outcome, link);
  }

  async #authorize(principal: McpPrincipal, connectionName: string): Promise<CallToolResult> {
    const state = await this.#state(principal, connectionName);
    const connectorName = state.connectorName ?? connectionName;
    if (state.status === 'ACTIVE') return authorizeResult(connectionName, connectorName, null);
    if (state.status === 'CONNECTION_NOT_FOUND') throw unknownTool(authorizeToolName(connectionName));
    return authorizeResult(connectionName, connectorName, await this.#link(principal, connectionName, null));
  }

  async #link(principal: McpPrincipal, connectionName: string, status: McpConnectionState['status'] | null): Promise<AuthorizationLink> {
    const state = await this.#state(principal, connectionName);
    const created = await this.#accounts.authorizationLink(principal.config, connectionName, principal.identifier);
    return { connectionName, connectorName: state.connectorName ?? connectionName, status: status ?? created.status, link: created.link, expiry: created.expiry };
  }

  async #state(principal: McpPrincipal, connectionName: string): Promise<McpConnectionState> {
    const states = await this.#accounts.states(principal.config, principal.identifier);
    return states.find((s) => s.connectionName === connectionName) ?? { connectionName, connectorName: null, status: 'CONNECTION_NOT_FOUND', accountId: null };
  }
}

function scopeOf(principal: McpPrincipal, mappings: readonly McpToolMapping[]): McpScope {
  return { configId: principal.config.id, identifier: principal.identifier, mappings, actor: principal.actor, policy: principal.policy };
}

/** Defence in depth: a provider's answer is kept only when the mappings (and the token's policy) allow it. */
function allowed(principal: McpPrincipal, mappings: readonly McpToolMapping[], connectionName: string, tool: string): boolean {
  const mapping = mappings.find((m) => m.connectionName === connectionName);
  if (!mapping || (mapping.tools.length > 0 && !mapping.tools.includes(tool))) return false;
  return !principal.policy?.tools || principal.policy.tools.includes(tool);
}

/** Whether any mapping could hold `name`, before asking the provider (which must check it too). */
function mayExist(principal: McpPrincipal, name: string): boolean {
  if (name.length === 0 || name.length > 128) return false;
  if (principal.policy?.tools && !principal.policy.tools.includes(name)) return false;
  return principal.config.mappings.some((m) => m.tools.length === 0 || m.tools.includes(name));
}

/**
 * MCP server/tools "Error Handling": an unknown tool is a protocol error, -32602. The server
 * (mcp-server.ts, where the SDK is) turns this into the SDK's McpError.
 */
export class UnknownToolError extends Error {
  constructor(readonly toolName: string) {
    super(`Unknown tool: ${toolName.slice(0, 128)}`);
  }
}

function unknownTool(name: string): UnknownToolError {
  return new UnknownToolError(name);
}
