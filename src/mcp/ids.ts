import { randomBytes } from 'node:crypto';

/**
 * Ids of the MCP domain, like src/ids.ts (120 bits, URL-safe, the prefix names the kind):
 * `mcp_` configs, `mar_` OAuth authorization requests, `mcg_` grants.
 */
export function newMcpId(prefix: 'mcp' | 'mar' | 'mcg'): string {
  return `${prefix}_${randomBytes(15).toString('base64url')}`;
}
