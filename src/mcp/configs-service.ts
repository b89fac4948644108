import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import { type Problem, ToolproxyError } from '../errors.ts';
import type { Page, PageRequest } from '../store/repositories.ts';
import type { McpConfigRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { inputProblems, type McpConfigCreateInput, type McpConfigUpdateInput, type McpToolMapping } from './config-schema.ts';
import { newMcpId } from './ids.ts';

export interface McpConfigView {
  id: string;
  name: string;
  description: string;
  connection_tool_mappings: Array<{ connection_name: string; tools: string[] }>;
  user_verify_url: string | null;
  /** The stable URL an MCP client connects to (Streamable HTTP). */
  mcp_server_url: string;
  created_at: string;
  updated_at: string;
}

/** A config as the MCP endpoint uses it. */
export interface LoadedMcpConfig {
  id: string;
  name: string;
  description: string;
  mappings: readonly McpToolMapping[];
  userVerifyUrl: string | null;
  /** The config's URL: the resource (RFC 8707) and audience of its tokens. */
  url: string;
}

/** How long a cached config is trusted without a change notification (the safety net). */
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

/**
 * MCP server configs (reference §6, "virtual MCP servers"): a name and which tools of which
 * connections one MCP URL serves. The endpoint reads them from a cache that every write (here or,
 * through the change relay, on another instance) invalidates.
 */
export class McpConfigsService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #publicUrl: string;
  readonly #allowedRedirectOrigins: readonly string[];
  readonly #cache = new Map<string, { config: LoadedMcpConfig; until: number }>();

  constructor(deps: { store: Store; clock: Clock; changes: ChangeFeed; publicUrl: string; allowedRedirectOrigins: readonly string[] }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#publicUrl = deps.publicUrl;
    this.#allowedRedirectOrigins = deps.allowedRedirectOrigins;
    deps.changes.onMcpConfigChanged((id) => this.#cache.delete(id));
  }

  /** `<public url>/mcp/<id>`: stable for the life of the config. */
  url(id: string): string {
    return `${this.#publicUrl}/mcp/${id}`;
  }

  async create(body: unknown): Promise<McpConfigView> {
    const input = await this.#validated<McpConfigCreateInput>(body, 'create');
    const now = this.#clock();
    const row: McpConfigRow = {
      id: newMcpId('mcp'),
      name: input.name,
      description: input.description ?? '',
      mappings: JSON.stringify(input.connection_tool_mappings),
      user_verify_url: input.user_verify_url ?? null,
      created_at: now,
      updated_at: now,
    };
    if (!(await this.#store.mcpConfigs.insert(row))) throw new ToolproxyError('MCP_CONFIG_EXISTS', { details: { name: input.name } });
    return this.#view(row);
  }

  async get(id: string): Promise<McpConfigView> {
    return this.#view(await this.#row(id));
  }

  async list(page: PageRequest): Promise<Page<McpConfigView>> {
    const result = await this.#store.mcpConfigs.list(page);
    return { items: result.items.map((row) => this.#view(row)), nextPageToken: result.nextPageToken };
  }

  /** Changes the given fields; the others stay. */
  async update(id: string, body: unknown): Promise<McpConfigView> {
    const patch = await this.#validated<McpConfigUpdateInput>(body, 'update');
    const row = await this.#row(id);
    const next: McpConfigRow = {
      ...row,
      name: patch.name ?? row.name,
      description: patch.description ?? row.description,
      mappings: patch.connection_tool_mappings ? JSON.stringify(patch.connection_tool_mappings) : row.mappings,
      user_verify_url: patch.user_verify_url === undefined ? row.user_verify_url : patch.user_verify_url,
      updated_at: this.#clock(),
    };
    const outcome = await this.#store.mcpConfigs.update(id, {
      name: next.name,
      description: next.description,
      mappings: next.mappings,
      user_verify_url: next.user_verify_url,
      updated_at: next.updated_at,
    });
    if (outcome === 'name_taken') throw new ToolproxyError('MCP_CONFIG_EXISTS', { details: { name: next.name } });
    if (outcome === 'not_found') throw new ToolproxyError('MCP_CONFIG_NOT_FOUND', { details: { id } });
    this.#changes.mcpConfigChanged(id);
    return this.#view(next);
  }

  /** Deletes the config; tokens for it stop working, and OAuth grants made for it are deleted. */
  async delete(id: string): Promise<void> {
    if (!(await this.#store.mcpConfigs.delete(id))) throw new ToolproxyError('MCP_CONFIG_NOT_FOUND', { details: { id } });
    this.#changes.mcpConfigChanged(id);
  }

  /** The config for the MCP endpoint, from the cache when it is current. */
  async load(id: string): Promise<LoadedMcpConfig> {
    const now = this.#clock();
    const cached = this.#cache.get(id);
    if (cached && cached.until > now) return cached.config;
    const config = loaded(await this.#row(id), this.url(id));
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(id, { config, until: now + CACHE_TTL_MS });
    return config;
  }

  async #row(id: string): Promise<McpConfigRow> {
    const row = id.length <= 100 ? await this.#store.mcpConfigs.findById(id) : undefined;
    if (!row) throw new ToolproxyError('MCP_CONFIG_NOT_FOUND', { details: { id } });
    return row;
  }

  /** Every problem at once: shape, duplicates, unknown connections, a user_verify_url not allowed. */
  async #validated<T>(body: unknown, mode: 'create' | 'update'): Promise<T> {
    const problems = inputProblems(body, mode);
    const input = (body ?? {}) as McpConfigUpdateInput;
    const mappings = Array.isArray(input.connection_tool_mappings) ? input.connection_tool_mappings : [];
    for (const [i, mapping] of mappings.entries()) {
      const name = (mapping as { connection_name?: unknown } | null)?.connection_name;
      if (typeof name === 'string' && name.length <= 100 && !(await this.#store.connections.findByName(name))) {
        problems.push({ path: `/connection_tool_mappings/${i}/connection_name`, message: `names no connection ("${name}")` });
      }
    }
    if (typeof input.user_verify_url === 'string') problems.push(...this.#urlProblems(input.user_verify_url));
    if (problems.length > 0) throw new ToolproxyError('MCP_CONFIG_INVALID', { details: { problems } });
    return body as T;
  }

  /** O7: the browser is only sent to origins the operator allowed, compared exactly after parsing. */
  #urlProblems(value: string): Problem[] {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return [{ path: '/user_verify_url', message: 'must be an absolute URL' }];
    }
    if (url.username !== '' || url.password !== '' || !this.#allowedRedirectOrigins.includes(url.origin)) {
      return [{ path: '/user_verify_url', message: 'must use an origin listed in TOOLPROXY_ALLOWED_REDIRECT_ORIGINS' }];
    }
    return [];
  }

  #view(row: McpConfigRow): McpConfigView {
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      connection_tool_mappings: JSON.parse(row.mappings) as McpConfigView['connection_tool_mappings'],
      user_verify_url: row.user_verify_url,
      mcp_server_url: this.url(row.id),
      created_at: new Date(row.created_at).toISOString(),
      updated_at: new Date(row.updated_at).toISOString(),
    };
  }
}

function loaded(row: McpConfigRow, url: string): LoadedMcpConfig {
  const mappings = (JSON.parse(row.mappings) as Array<{ connection_name: string; tools: string[] }>).map((m) => ({
    connectionName: m.connection_name,
    tools: Object.freeze([...m.tools]),
  }));
  return Object.freeze({ id: row.id, name: row.name, description: row.description, mappings: Object.freeze(mappings), userVerifyUrl: row.user_verify_url, url });
}
