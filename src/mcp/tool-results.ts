import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpConnectionStatus } from './connected-accounts.ts';
import type { McpToolView, ToolOutcome } from './tool-provider.ts';

/**
 * Pure mapping between tools (src/mcp/tool-provider.ts) and MCP `tools/list` / `tools/call`
 * results (MCP 2025-11-25 server/tools): a result's `content` is what a model reads; failures a
 * model can act on are results with `isError: true`, never protocol errors.
 */

export const META_PREFIX = 'toolproxy/';

/** A fresh authorization link for a connection the user has not (or no longer) authorized. */
export interface AuthorizationLink {
  connectionName: string;
  connectorName: string;
  status: McpConnectionStatus | null;
  link: string;
  expiry: string;
}

export function toMcpTool(view: McpToolView): Tool {
  return {
    name: view.name,
    ...(view.title ? { title: view.title } : {}),
    description: view.description,
    inputSchema: view.inputSchema,
    ...(view.outputSchema ? { outputSchema: view.outputSchema } : {}),
    ...(view.annotations ? { annotations: view.annotations } : {}),
    _meta: { [`${META_PREFIX}connection`]: view.connectionName },
  };
}

/** `not_authorized` needs the link; every other outcome maps on its own. */
export function toCallToolResult(outcome: Exclude<ToolOutcome, { kind: 'unknown_tool' }>, authorization?: AuthorizationLink): CallToolResult {
  switch (outcome.kind) {
    case 'ok': {
      const structured = outcome.structured && isRecord(outcome.data);
      return {
        // A cut answer says so where the model reads, not only in _meta.
        content: [{ type: 'text', text: asText(outcome.data) }, ...(outcome.truncated && outcome.note ? [{ type: 'text' as const, text: outcome.note }] : [])],
        ...(structured ? { structuredContent: outcome.data as Record<string, unknown> } : {}),
        _meta: { [`${META_PREFIX}execution_id`]: outcome.executionId, ...(outcome.truncated ? { [`${META_PREFIX}truncated`]: true } : {}) },
      };
    }
    case 'upstream_error': {
      const retry = outcome.retryAfterSeconds === undefined ? '' : ` Retry after ${outcome.retryAfterSeconds} seconds.`;
      return {
        isError: true,
        content: [{ type: 'text', text: `The upstream API answered HTTP ${outcome.status}.${retry}\n${asText(outcome.data)}` }],
        _meta: { [`${META_PREFIX}execution_id`]: outcome.executionId, [`${META_PREFIX}status`]: outcome.status },
      };
    }
    case 'not_authorized': {
      if (!authorization) throw new TypeError('a not_authorized outcome needs an authorization link');
      return { isError: true, content: [{ type: 'text', text: notConnectedText(authorization) }], _meta: linkMeta(authorization) };
    }
    case 'invalid_input':
      return {
        isError: true,
        content: [
          {
            type: 'text',
            text: `The arguments do not match the tool's input schema; nothing was sent:\n${outcome.problems.map((p) => `- ${p.path || '/'}: ${p.message}`).join('\n')}`,
          },
        ],
        _meta: { [`${META_PREFIX}code`]: 'TOOL_INPUT_INVALID' },
      };
    case 'refused':
      return {
        isError: true,
        // The details (e.g. the policy rule that refused) are what lets a model change its call.
        content: [{ type: 'text', text: `${outcome.message} (${outcome.code})${outcome.details === undefined ? '' : ` ${JSON.stringify(outcome.details)}`}` }],
        _meta: { [`${META_PREFIX}code`]: outcome.code, ...(outcome.executionId ? { [`${META_PREFIX}execution_id`]: outcome.executionId } : {}) },
      };
  }
}

/** The name of the tool that hands out a connection's authorization link. */
export function authorizeToolName(connectionName: string): string {
  return `authorize_${connectionName}`;
}

const AUTHORIZE_OUTPUT_SCHEMA = {
  type: 'object',
  properties: {
    connection_name: { type: 'string' },
    status: { type: 'string' },
    authorization_link: { type: ['string', 'null'] },
    expires_at: { type: ['string', 'null'] },
  },
  required: ['connection_name', 'status', 'authorization_link', 'expires_at'],
} as const;

/** Listed for a mapped connection whose account is not ACTIVE, instead of its tools. */
export function authorizeTool(connectionName: string, connectorName: string, status: McpConnectionStatus): Tool {
  return {
    name: authorizeToolName(connectionName),
    title: `Connect ${connectorName}`,
    description:
      `The user has not connected their ${connectorName} account yet (connection "${connectionName}", status ${status}), so its tools are not available. ` +
      `Call this tool to get a link for the user to open and connect it; once they have, this server's tool list changes to include ${connectorName}'s tools.`,
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    outputSchema: AUTHORIZE_OUTPUT_SCHEMA as unknown as Tool['outputSchema'],
    annotations: { readOnlyHint: true, openWorldHint: false },
    _meta: { [`${META_PREFIX}connection`]: connectionName },
  };
}

/** The answer of an `authorize_<connection>` tool: the link, or "already connected". */
export function authorizeResult(connectionName: string, connectorName: string, link: AuthorizationLink | null): CallToolResult {
  if (!link) {
    return {
      content: [{ type: 'text', text: `${connectorName} (connection "${connectionName}") is connected. List the tools again to see its tools.` }],
      structuredContent: { connection_name: connectionName, status: 'ACTIVE', authorization_link: null, expires_at: null },
    };
  }
  return {
    content: [
      {
        type: 'text',
        text: `Ask the user to open this link to connect their ${connectorName} account: ${link.link}\nThe link works once and expires at ${link.expiry}. Once they have connected, this server's tool list changes to include ${connectorName}'s tools.`,
      },
    ],
    structuredContent: { connection_name: connectionName, status: link.status ?? 'NOT_CONNECTED', authorization_link: link.link, expires_at: link.expiry },
    _meta: linkMeta(link),
  };
}

function notConnectedText(link: AuthorizationLink): string {
  return (
    `The user's ${link.connectorName} account (connection "${link.connectionName}") is not connected${link.status ? ` (status ${link.status})` : ''}, so nothing was sent. ` +
    `Ask the user to open this link to connect it, then try again: ${link.link}\nThe link works once and expires at ${link.expiry}.`
  );
}

function linkMeta(link: AuthorizationLink): Record<string, unknown> {
  return { [`${META_PREFIX}code`]: 'ACCOUNT_NOT_ACTIVE', [`${META_PREFIX}authorization_link`]: link.link, [`${META_PREFIX}connection`]: link.connectionName };
}

function asText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data === undefined) return '';
  return JSON.stringify(data);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
