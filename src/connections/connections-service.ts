import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { ConnectorsService, LoadedConnector } from '../connectors/connectors-service.ts';
import { loadedFromRow } from '../connectors/connectors-service.ts';
import { ToolproxyError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Page, PageRequest } from '../store/repositories.ts';
import type { ConnectionRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';

export interface ConnectionView {
  id: string;
  /** The `connectionName` every SDK call passes. */
  name: string;
  connector: string;
  connector_id: string;
  type: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface LoadedConnection {
  row: ConnectionRow;
  connector: LoadedConnector;
}

/** Names are what users type in code and URLs: keep them boring and unambiguous. */
export const CONNECTION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** A connection: a named, configured instance of a connector (reference §2). */
export class ConnectionsService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #connectors: ConnectorsService;

  constructor(deps: { store: Store; clock: Clock; changes: ChangeFeed; connectors: ConnectorsService }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#connectors = deps.connectors;
  }

  async create(input: { name: string; connector: string; enabled?: boolean | undefined }): Promise<ConnectionView> {
    if (!CONNECTION_NAME_PATTERN.test(input.name)) {
      throw new ToolproxyError('VALIDATION_FAILED', {
        details: { problems: [{ path: '/name', message: 'must be 1-100 characters: letters, digits, _ . - (starting with a letter or digit)' }] },
      });
    }
    const connector = await this.#connectors.load(input.connector);
    if (connector.pattern.type === 'OAUTH') {
      // The OAuth flow (client credentials, redirect URI, refresh) lands with its own issue.
      throw new ToolproxyError('VALIDATION_FAILED', {
        message: 'OAUTH connections are not supported by this server version yet.',
        details: { problems: [{ path: '/connector', message: 'connector uses OAUTH, which is not supported yet' }] },
      });
    }
    const now = this.#clock();
    const row: ConnectionRow = {
      id: newId('conn'),
      name: input.name,
      connector_id: connector.row.id,
      auth_type: connector.pattern.type,
      settings: '{}',
      secrets: null,
      enabled: input.enabled === false ? 0 : 1,
      created_at: now,
      updated_at: now,
    };
    if (!(await this.#store.connections.insert(row))) {
      throw new ToolproxyError('CONNECTION_EXISTS', { details: { name: input.name } });
    }
    return toView(row, connector);
  }

  async get(name: string): Promise<ConnectionView> {
    const { row, connector } = await this.load(name);
    return toView(row, connector);
  }

  async list(page: PageRequest, filter: { connector?: string | undefined } = {}): Promise<Page<ConnectionView>> {
    const connectorId = filter.connector ? (await this.#connectors.load(filter.connector)).row.id : undefined;
    const result = await this.#store.connections.list(page, connectorId ? { connectorId } : {});
    const items: ConnectionView[] = [];
    for (const row of result.items) items.push(toView(row, await this.#connectorOf(row)));
    return { items, nextPageToken: result.nextPageToken };
  }

  async update(name: string, patch: { enabled?: boolean | undefined }): Promise<ConnectionView> {
    const { row, connector } = await this.load(name);
    const next = { ...row, enabled: patch.enabled === undefined ? row.enabled : patch.enabled ? 1 : 0, updated_at: this.#clock() };
    await this.#store.connections.update(row.id, { enabled: next.enabled, updated_at: next.updated_at });
    this.#changes.configChanged();
    return toView(next, connector);
  }

  async delete(name: string): Promise<void> {
    const { row } = await this.load(name);
    const outcome = await this.#store.connections.deleteIfUnused(row.id);
    if (outcome === 'in_use') throw new ToolproxyError('CONNECTION_IN_USE');
    if (outcome === 'not_found') throw new ToolproxyError('CONNECTION_NOT_FOUND');
    this.#changes.configChanged();
  }

  async load(name: string): Promise<LoadedConnection> {
    const row = await this.#store.connections.findByName(name);
    if (!row) throw new ToolproxyError('CONNECTION_NOT_FOUND', { details: { connection_name: name } });
    return { row, connector: await this.#connectorOf(row) };
  }

  async loadById(id: string): Promise<LoadedConnection> {
    const row = await this.#store.connections.findById(id);
    if (!row) throw new ToolproxyError('CONNECTION_NOT_FOUND');
    return { row, connector: await this.#connectorOf(row) };
  }

  async #connectorOf(row: ConnectionRow): Promise<LoadedConnector> {
    const connectorRow = await this.#store.connectors.find(row.connector_id);
    if (!connectorRow) throw new ToolproxyError('INTERNAL_ERROR', { message: `connection ${row.id} has no connector` });
    return loadedFromRow(connectorRow);
  }
}

function toView(row: ConnectionRow, connector: LoadedConnector): ConnectionView {
  return {
    id: row.id,
    name: row.name,
    connector: connector.row.identifier,
    connector_id: row.connector_id,
    type: row.auth_type,
    enabled: row.enabled === 1,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
