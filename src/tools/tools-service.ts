import { assertValidIdentifier } from '../accounts/accounts-service.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { ConnectorsService, LoadedConnector } from '../connectors/connectors-service.ts';
import { ToolproxyError } from '../errors.ts';
import type { IdentifierToolFilter, PageRequest, ToolFilter } from '../store/repositories.ts';
import type { Store } from '../store/store.ts';
import type { ToolDefinition } from './definition-schema.ts';
import type { InputValidators } from './input-validators.ts';
import { toolContext } from './tool-context.ts';
import { type AvailableToolView, type ScopedToolView, toAvailableView, toScopedView, toToolView, type ToolView } from './tool-views.ts';
import { searchText, writeConnectorTools } from './tool-writes.ts';
import { assertValidTool } from './validate-tools.ts';

export interface ToolListFilter {
  /** A connector id or identifier. */
  connector?: string | undefined;
  /** Connector identifiers, matched without regard to case (the reference sends `GITHUB`). */
  providers?: readonly string[] | undefined;
  names?: readonly string[] | undefined;
  /** Text in the name, display name or description (case-insensitive). */
  query?: string | undefined;
  /** Only names (`tool_names`), as the reference's `filter.summary`. */
  summary?: boolean | undefined;
}

export interface Listing<T> {
  items: T[];
  /** Every match across all pages. */
  totalSize: number;
  nextPageToken: string | null;
}

/** A tool ready to run: what execution needs, cached per name until the change feed says otherwise. */
export interface LoadedTool {
  id: string;
  name: string;
  version: number;
  connectorId: string;
  provider: string;
  definition: ToolDefinition;
}

interface Cached {
  at: number;
  tool: Promise<LoadedTool>;
}

const MAX_CACHED = 5000;

/** Tools: listing (all, scoped to an identifier, available to it), custom tools CRUD, loading for execution. */
export class ToolsService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #connectors: ConnectorsService;
  readonly #validators: InputValidators;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, Cached>();

  constructor(deps: { store: Store; clock: Clock; changes: ChangeFeed; connectors: ConnectorsService; validators: InputValidators; cacheTtlMs?: number }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#connectors = deps.connectors;
    this.#validators = deps.validators;
    this.#ttlMs = deps.cacheTtlMs ?? 60_000;
    // Any connector or tool change may change a tool: drop them all (tool writes are rare).
    this.#changes.onConfigChanged(() => this.#cache.clear());
  }

  async list(filter: ToolListFilter, page: PageRequest): Promise<Listing<ToolView> & { toolNames: string[] }> {
    const storeFilter: ToolFilter = {
      ...(filter.connector === undefined ? {} : { connectorId: (await this.#connectors.load(filter.connector)).row.id }),
      ...(filter.providers === undefined ? {} : { providers: filter.providers.map((p) => p.toLowerCase()) }),
      ...(filter.names === undefined ? {} : { names: filter.names }),
      ...(filter.query === undefined || filter.query.trim() === '' ? {} : { query: filter.query.trim().toLowerCase() }),
    };
    const [result, totalSize] = await Promise.all([this.#store.tools.list(page, storeFilter), this.#store.tools.count(storeFilter)]);
    const names = result.items.map((row) => row.name);
    return {
      items: filter.summary ? [] : result.items.map(toToolView),
      toolNames: filter.summary ? names : [],
      totalSize,
      nextPageToken: result.nextPageToken,
    };
  }

  async get(name: string): Promise<ToolView> {
    const row = await this.#store.tools.findByName(name);
    if (row === undefined) throw notFound(name);
    return toToolView(row);
  }

  /** The name of the tool with this id (the reference's UpdateTool and DeleteTool name tools by id). */
  async nameOf(id: string): Promise<{ name: string; provider: string }> {
    const row = await this.#store.tools.findById(id);
    if (row === undefined) throw new ToolproxyError('TOOL_NOT_FOUND', { message: 'No tool with this id.', details: { id: id.slice(0, 200) } });
    return { name: row.name, provider: row.provider };
  }

  /** Tools the identifier can call now: those of its ACTIVE accounts on enabled connections. */
  async listScoped(identifier: string, filter: IdentifierToolFilter, page: PageRequest): Promise<Listing<ScopedToolView>> {
    assertValidIdentifier(identifier);
    const normalized = normalize(filter);
    const [result, totalSize] = await Promise.all([
      this.#store.tools.listForIdentifier(identifier, 'active', page, normalized),
      this.#store.tools.countForIdentifier(identifier, 'active', normalized),
    ]);
    return { items: result.items.map((row) => toScopedView(row, identifier)), totalSize, nextPageToken: result.nextPageToken };
  }

  /**
   * Tools of every enabled connection of the app, whether or not the identifier has connected
   * an account there, each with that account's status (null: not connected yet). What an agent
   * could offer once the user authorizes; docs/tools.md.
   */
  async listAvailable(identifier: string, filter: IdentifierToolFilter, page: PageRequest): Promise<Listing<AvailableToolView>> {
    assertValidIdentifier(identifier);
    const normalized = normalize(filter);
    const [result, totalSize] = await Promise.all([
      this.#store.tools.listForIdentifier(identifier, 'any', page, normalized),
      this.#store.tools.countForIdentifier(identifier, 'any', normalized),
    ]);
    return { items: result.items.map((row) => toAvailableView(row, identifier)), totalSize, nextPageToken: result.nextPageToken };
  }

  /** A custom tool on a custom connector. */
  async create(connectorRef: string, input: unknown): Promise<ToolView> {
    const connector = await this.#customConnector(connectorRef);
    const tool = assertValidTool(input, toolContext(connector.row.identifier, connector.pattern));
    await this.#store.transaction((repos) => writeNew(repos, connector.row.id, tool, this.#clock()));
    this.#changes.configChanged();
    return this.get(tool.name);
  }

  /** Replaces a custom tool's definition (the whole of it); its name cannot change. */
  async replace(connectorRef: string, name: string, input: unknown): Promise<ToolView> {
    const connector = await this.#customConnector(connectorRef);
    const current = await this.#ownTool(connector, name);
    const body = input !== null && typeof input === 'object' && !Array.isArray(input) ? { name, ...input } : input;
    const tool = assertValidTool(body, toolContext(connector.row.identifier, connector.pattern));
    if (tool.name !== name) {
      throw new ToolproxyError('TOOL_INVALID', { details: { problems: [{ path: '/name', message: `must be ${name}: a tool cannot be renamed (create the new one, delete the old)` }] } });
    }
    const updated = await this.#store.tools.update(current.id, {
      definition: JSON.stringify(tool),
      search_text: searchText(tool),
      origin: current.origin,
      now: this.#clock(),
    });
    if (!updated) throw notFound(name);
    this.#validators.forget(current.id);
    this.#changes.configChanged();
    return this.get(name);
  }

  async delete(connectorRef: string, name: string): Promise<void> {
    const connector = await this.#customConnector(connectorRef);
    const current = await this.#ownTool(connector, name);
    if ((await this.#store.tools.deleteMany([current.id])) === 0) throw notFound(name);
    this.#validators.forget(current.id);
    this.#changes.configChanged();
  }

  /** The tool named `name`, for execution: cached until a change (or the TTL safety net). */
  load(name: string): Promise<LoadedTool> {
    const now = this.#clock();
    const cached = this.#cache.get(name);
    if (cached !== undefined && now - cached.at < this.#ttlMs) return cached.tool;
    const tool = this.#store.tools.findByName(name).then((row) => {
      if (row === undefined) throw notFound(name);
      return { id: row.id, name: row.name, version: row.version, connectorId: row.connector_id, provider: row.provider, definition: JSON.parse(row.definition) as ToolDefinition };
    });
    // A failed or missing lookup is not cached: the next call asks again.
    tool.catch(() => this.#cache.get(name)?.tool === tool && this.#cache.delete(name));
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
    this.#cache.set(name, { at: now, tool });
    return tool;
  }

  /** Throws TOOL_INPUT_INVALID with every problem; the schema is compiled once per tool version. */
  assertValidInput(tool: LoadedTool, input: unknown): asserts input is Record<string, unknown> {
    this.#validators.assertValid({ id: tool.id, version: tool.version, input_schema: tool.definition.input_schema }, input);
  }

  async #customConnector(ref: string): Promise<LoadedConnector> {
    const connector = await this.#connectors.load(ref);
    if (connector.row.origin === 'catalog') {
      throw new ToolproxyError('TOOL_BUILT_IN', {
        message: `${connector.row.identifier} is a built-in connector: its tools are read-only. Create a custom connector to add tools.`,
        details: { connector: connector.row.identifier },
      });
    }
    return connector;
  }

  async #ownTool(connector: LoadedConnector, name: string) {
    const row = await this.#store.tools.findByName(name);
    if (row === undefined || row.connector_id !== connector.row.id) throw notFound(name, connector.row.identifier);
    return row;
  }
}

async function writeNew(repos: Parameters<typeof writeConnectorTools>[0], connectorId: string, tool: ToolDefinition, now: number): Promise<void> {
  const [owner] = await repos.tools.owners([tool.name]);
  if (owner !== undefined) {
    throw new ToolproxyError('TOOL_EXISTS', { message: `A tool named ${tool.name} already exists.`, details: { tools: [tool.name] } });
  }
  await writeConnectorTools(repos, connectorId, [tool], { origin: 'custom', now, removeOthers: false });
}

function normalize(filter: IdentifierToolFilter): IdentifierToolFilter {
  return filter.providers === undefined ? filter : { ...filter, providers: filter.providers.map((p) => p.toLowerCase()) };
}

function notFound(name: string, connector?: string): ToolproxyError {
  return new ToolproxyError('TOOL_NOT_FOUND', {
    message: connector === undefined ? `No tool named ${name}.` : `The connector ${connector} has no tool named ${name}.`,
    details: { tool: name.slice(0, 200) },
  });
}
