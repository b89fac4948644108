import type { AuditRecorder } from '../audit/audit-entry.ts';
import { randomBytes } from 'node:crypto';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import { ToolproxyError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { BuiltInSync, BuiltInToolSync, Page, PageRequest } from '../store/repositories.ts';
import type { ConnectorOrigin, ConnectorRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { identifierSlug } from '../tools/tool-context.ts';
import { syncCatalogTools, writeConnectorTools } from '../tools/tool-writes.ts';
import type { CatalogEntry } from './catalog.ts';
import type { AuthPattern, ConnectorDefinition } from './definition-schema.ts';
import { type AddressCheck, type DefinitionWarning, egressWarnings } from './egress-warnings.ts';
import { type DiscoveryOptions, withDiscoveredEndpoints } from './oauth-discovery.ts';
import { assertValidDefinition, type ValidationOptions } from './validate-definition.ts';
import type { Actor } from '../actor.ts';

export type ConnectorView = ConnectorDefinition & {
  id: string;
  identifier: string;
  /** false for the built-in catalog's connectors, which cannot be replaced or deleted. */
  is_custom: boolean;
  created_at: string;
  updated_at: string;
};

/** A connector as the other services use it: the row plus its parsed definition. */
export interface LoadedConnector {
  row: ConnectorRow;
  definition: ConnectorDefinition;
  /** The one auth pattern (the reference allows exactly one today). */
  pattern: AuthPattern;
}

/** A created or replaced connector, and what its definition will run into when it is used. */
export interface SavedConnector {
  provider: ConnectorView;
  warnings: DefinitionWarning[];
}

/** What `filter.provider_type` asks for (the reference's ProviderType): built-in, custom or both. */
export type ConnectorKind = 'DEFAULT' | 'CUSTOM' | 'ALL';

const ORIGIN_OF_KIND: Record<ConnectorKind, ConnectorOrigin | undefined> = { DEFAULT: 'catalog', CUSTOM: 'custom', ALL: undefined };

/** Connectors: the built-in catalog and "bring your own connector" definitions (reference §1.1). */
export class ConnectorsService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #discovery: DiscoveryOptions | undefined;
  readonly #egressAllows: AddressCheck | undefined;
  readonly #audit: AuditRecorder | undefined;

  constructor(deps: {
    store: Store;
    clock: Clock;
    changes: ChangeFeed;
    /** RFC 8414 / OpenID discovery of OAuth endpoints from an `issuer` (absent: endpoints must be given). */
    discovery?: DiscoveryOptions;
    /** The egress policy's check, to warn at save time about URLs it will refuse. */
    egressAllows?: AddressCheck;
    /** The audit trail: connector create, update and delete. */
    audit?: AuditRecorder;
  }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#discovery = deps.discovery;
    this.#egressAllows = deps.egressAllows;
    this.#audit = deps.audit;
  }

  /**
   * Validates the whole definition first (every problem, no network), then fills OAuth endpoints
   * left out from the issuer's metadata, and validates the result again: discovered URLs obey
   * the same rules as written ones. What is stored is complete.
   */
  async #validated(input: unknown, options: ValidationOptions = {}): Promise<ConnectorDefinition> {
    const definition = assertValidDefinition(input, options);
    const discovered = await withDiscoveredEndpoints(definition, this.#discovery);
    return discovered === definition ? definition : assertValidDefinition(discovered, options);
  }

  /**
   * A custom connector, and the tools its definition carries in the same transaction. Tool names
   * carry the identifier, which is known only now: a display name whose identifier is taken gets
   * a suffixed one, and the tools are checked again against it.
   */
  /** `actor`: who asked (the audit trail's entry); none: `system`. */
  async create(input: unknown, actor?: Actor): Promise<SavedConnector> {
    let definition = await this.#validated(input);
    const identifier = await this.#freeIdentifier(definition.display_name);
    if (definition.tools !== undefined && identifier !== identifierSlug(definition.display_name)) {
      definition = assertValidDefinition(definition, { identifier });
    }
    const { tools, ...stored } = definition;
    const now = this.#clock();
    const row: ConnectorRow = {
      id: newId('prov'),
      identifier,
      display_name: stored.display_name,
      description: stored.description ?? '',
      definition: JSON.stringify(stored),
      origin: 'custom',
      created_at: now,
      updated_at: now,
    };
    await this.#store.transaction(async (repos) => {
      await repos.connectors.insert(row);
      if (tools !== undefined) await writeConnectorTools(repos, row.id, tools, { origin: 'custom', now, removeOthers: true });
    });
    if (tools !== undefined && tools.length > 0) this.#changes.configChanged();
    this.#audit?.record({ actor, action: 'connector.create', target: { type: 'connector', id: row.identifier }, details: { connector_id: row.id, tools: tools?.length ?? 0 } });
    return this.#saved(toView(row, stored), stored);
  }

  async get(idOrIdentifier: string): Promise<ConnectorView> {
    const { row, definition } = await this.load(idOrIdentifier);
    return toView(row, definition);
  }

  async list(page: PageRequest, kind: ConnectorKind = 'ALL'): Promise<Page<ConnectorView>> {
    const origin = ORIGIN_OF_KIND[kind];
    const result = await this.#store.connectors.list(page, origin === undefined ? {} : { origin });
    return { items: result.items.map((row) => toView(row, parseDefinition(row))), nextPageToken: result.nextPageToken };
  }

  /**
   * Full replacement (PUT): the reference's guide says omitted fields are not preserved, so the
   * whole definition is validated again. The auth type cannot change under existing connections.
   */
  async replace(idOrIdentifier: string, input: unknown, actor?: Actor): Promise<SavedConnector> {
    const current = await this.load(idOrIdentifier);
    assertCustom(current.row);
    const { tools, ...definition } = await this.#validated(input, { identifier: current.row.identifier });
    const nextType = firstPattern(definition).type;
    if (nextType !== current.pattern.type) {
      const users = await this.#store.connections.list({ pageSize: 1 }, { connectorId: current.row.id });
      if (users.items.length > 0) {
        throw new ToolproxyError('CONNECTOR_IN_USE', {
          message: `The auth type cannot change from ${current.pattern.type} to ${nextType} while connections use this connector.`,
        });
      }
    }
    const patch = {
      display_name: definition.display_name,
      description: definition.description ?? '',
      definition: JSON.stringify(definition),
      updated_at: this.#clock(),
    };
    // `tools` present: the connector's whole set of custom tools; absent: its tools stay as they are.
    await this.#store.transaction(async (repos) => {
      await repos.connectors.update(current.row.id, patch);
      if (tools !== undefined) await writeConnectorTools(repos, current.row.id, tools, { origin: 'custom', now: patch.updated_at, removeOthers: true });
    });
    this.#changes.configChanged();
    this.#audit?.record({ actor, action: 'connector.update', target: { type: 'connector', id: current.row.identifier }, details: { connector_id: current.row.id, tools: tools?.length ?? null } });
    return this.#saved(toView({ ...current.row, ...patch }, definition), definition);
  }

  #saved(provider: ConnectorView, definition: ConnectorDefinition): SavedConnector {
    return { provider, warnings: this.#egressAllows ? egressWarnings(definition, this.#egressAllows) : [] };
  }

  async delete(idOrIdentifier: string, actor?: Actor): Promise<void> {
    const { row } = await this.load(idOrIdentifier);
    assertCustom(row);
    const outcome = await this.#store.connectors.deleteIfUnused(row.id);
    if (outcome === 'in_use') throw new ToolproxyError('CONNECTOR_IN_USE');
    if (outcome === 'not_found') throw new ToolproxyError('CONNECTOR_NOT_FOUND');
    this.#changes.configChanged();
    this.#audit?.record({ actor, action: 'connector.delete', target: { type: 'connector', id: row.identifier }, details: { connector_id: row.id } });
  }

  /**
   * Installs the built-in catalog, or brings it up to date after an upgrade: run on every start,
   * before the change relay runs (server.ts announces the rewritten ones to other instances then).
   */
  async installCatalog(entries: readonly CatalogEntry[]): Promise<BuiltInSync & { tools: BuiltInToolSync }> {
    const now = this.#clock();
    const outcome = await this.#store.transaction(async (repos) => {
      const connectors = await repos.connectors.syncBuiltIns(
        entries.map(({ identifier, definition: { tools: _tools, ...definition } }) => ({
          id: newId('prov'),
          identifier,
          display_name: definition.display_name,
          description: definition.description ?? '',
          definition: JSON.stringify(definition),
          created_at: now,
          updated_at: now,
        })),
      );
      const taken = new Set(connectors.taken);
      const withTools = entries.filter((entry) => !taken.has(entry.identifier)).map((entry) => ({ identifier: entry.identifier, tools: entry.definition.tools ?? [] }));
      return { ...connectors, tools: await syncCatalogTools(repos, withTools, now) };
    });
    const { tools } = outcome;
    if (outcome.updated.length > 0 || tools.updated.length > 0 || tools.deleted.length > 0) this.#changes.configChanged();
    return outcome;
  }

  async load(idOrIdentifier: string): Promise<LoadedConnector> {
    const row = await this.#store.connectors.find(idOrIdentifier);
    if (!row) throw new ToolproxyError('CONNECTOR_NOT_FOUND', { details: { connector: idOrIdentifier } });
    return loadedFromRow(row);
  }

  async #freeIdentifier(displayName: string): Promise<string> {
    const slug = identifierSlug(displayName);
    if (!(await this.#store.connectors.identifierExists(slug))) return slug;
    return `${slug}-${randomBytes(3).toString('hex')}`;
  }
}

export function loadedFromRow(row: ConnectorRow): LoadedConnector {
  const definition = parseDefinition(row);
  return { row, definition, pattern: firstPattern(definition) };
}

function parseDefinition(row: ConnectorRow): ConnectorDefinition {
  return JSON.parse(row.definition) as ConnectorDefinition;
}

function firstPattern(definition: ConnectorDefinition): AuthPattern {
  const [pattern] = definition.auth_patterns;
  if (!pattern) throw new ToolproxyError('CONNECTOR_INVALID', { message: 'The connector has no auth pattern.' });
  return pattern;
}

function assertCustom(row: ConnectorRow): void {
  if (row.origin === 'catalog') throw new ToolproxyError('CONNECTOR_BUILT_IN', { details: { connector: row.identifier } });
}

function toView(row: ConnectorRow, definition: ConnectorDefinition): ConnectorView {
  return {
    id: row.id,
    identifier: row.identifier,
    ...definition,
    is_custom: row.origin === 'custom',
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
