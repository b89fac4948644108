import { ToolproxyError } from '../errors.ts';
import type { LoadedMcpConfig, McpConfigsService } from '../mcp/configs-service.ts';
import { invalidTarget } from './oauth-error.ts';

/**
 * RFC 8707 resource indicators: the resources this authorization server issues tokens for are
 * the MCP config URLs, `<public url>/mcp/<id>`, named exactly (scheme and host case aside, which
 * URL parsing folds, as MCP 2025-11-25 "Canonical Server URI" asks).
 */
export class Resources {
  readonly #configs: McpConfigsService;

  constructor(configs: McpConfigsService) {
    this.#configs = configs;
  }

  /** The config a `resource` parameter names, or invalid_target. */
  async configOf(resource: unknown): Promise<LoadedMcpConfig> {
    if (typeof resource !== 'string' || resource.length === 0) throw invalidTarget('resource is required: the URL of the MCP server (RFC 8707).');
    let url: URL;
    try {
      url = new URL(resource);
    } catch {
      throw invalidTarget('resource must be an absolute URL.');
    }
    const id = url.pathname.split('/').at(-1) ?? '';
    if (resource.length > 2048 || url.search !== '' || url.hash !== '' || id === '' || new URL(this.#configs.url(id)).href !== url.href) {
      throw invalidTarget('resource must be the URL of one of this server\'s MCP configs (<public url>/mcp/<id>).');
    }
    return this.configById(id, () => invalidTarget('resource names no MCP config.'));
  }

  async configById(id: string, missing: () => Error = () => new ToolproxyError('MCP_AUTHORIZATION_REQUEST_INVALID')): Promise<LoadedMcpConfig> {
    try {
      return await this.#configs.load(id);
    } catch (error) {
      if (error instanceof ToolproxyError && error.code === 'MCP_CONFIG_NOT_FOUND') throw missing();
      throw error;
    }
  }
}
