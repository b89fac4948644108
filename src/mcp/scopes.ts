/**
 * OAuth scopes of the MCP endpoint. `tools:read` lists tools (and covers the rest of the
 * protocol: initialize, ping, notifications); `tools:call` runs them. A session token carries both.
 */
export const MCP_SCOPES = ['tools:read', 'tools:call'] as const;
export type McpScopeName = (typeof MCP_SCOPES)[number];

/** The scope a JSON-RPC method needs. */
export function scopeFor(method: string): McpScopeName {
  return method === 'tools/call' ? 'tools:call' : 'tools:read';
}

/** Parses a space-separated scope parameter; undefined when it names a scope we do not know. */
export function parseScope(value: string | undefined): McpScopeName[] | undefined {
  if (value === undefined || value.trim() === '') return [...MCP_SCOPES];
  const names = [...new Set(value.split(' ').filter(Boolean))];
  if (!names.every((name): name is McpScopeName => (MCP_SCOPES as readonly string[]).includes(name))) return undefined;
  return MCP_SCOPES.filter((scope) => names.includes(scope));
}
