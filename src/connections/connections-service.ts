import type { AuditRecorder } from '../audit/audit-entry.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { ConnectorsService, LoadedConnector } from '../connectors/connectors-service.ts';
import { loadedFromRow } from '../connectors/connectors-service.ts';
import { ToolproxyError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Page, PageRequest } from '../store/repositories.ts';
import type { ConnectionRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { OAuthClientRegistration } from '../auth/oauth/oauth-client.ts';
import { Secret } from '../vault/secret.ts';
import type { SecretBinding, Vault } from '../vault/vault.ts';
import { type OAuthSettings, type OAuthSettingsInput, refuseOAuthSettings, resolveOAuthSettings } from './oauth-settings.ts';
import type { Actor } from '../actor.ts';

export interface ConnectionView {
  id: string;
  /** The `connectionName` every SDK call passes. */
  name: string;
  connector: string;
  connector_id: string;
  /** The connector comes from the built-in catalog. */
  built_in: boolean;
  type: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  /** OAUTH: register exactly this URI at the provider (RFC 6749 §3.1.2). */
  redirect_uri?: string;
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
  readonly #vault: Vault;
  readonly #publicUrl: string;
  readonly #audit: AuditRecorder | undefined;

  /** `audit`: the audit trail (connection create, update and delete). */
  constructor(deps: { store: Store; clock: Clock; changes: ChangeFeed; connectors: ConnectorsService; vault: Vault; publicUrl: string; audit?: AuditRecorder }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#connectors = deps.connectors;
    this.#vault = deps.vault;
    this.#publicUrl = deps.publicUrl;
    this.#audit = deps.audit;
  }

  /** `actor`: who asked (the audit trail's entry); none: `system`. */
  async create(input: { name: string; connector: string; enabled?: boolean | undefined } & OAuthSettingsInput, actor?: Actor): Promise<ConnectionView> {
    if (!CONNECTION_NAME_PATTERN.test(input.name)) {
      throw new ToolproxyError('VALIDATION_FAILED', {
        details: { problems: [{ path: '/name', message: 'must be 1-100 characters: letters, digits, _ . - (starting with a letter or digit)' }] },
      });
    }
    const connector = await this.#connectors.load(input.connector);
    const id = newId('conn');
    let settings: OAuthSettings | Record<string, never> = {};
    let secrets: string | null = null;
    if (connector.pattern.type === 'OAUTH') {
      const resolved = resolveOAuthSettings(connector.pattern, input);
      settings = resolved.settings;
      if (resolved.clientSecret !== undefined) secrets = this.#vault.encryptJson({ client_secret: resolved.clientSecret }, secretsBinding(id));
    } else {
      refuseOAuthSettings(input);
    }
    const now = this.#clock();
    const row: ConnectionRow = {
      id,
      name: input.name,
      connector_id: connector.row.id,
      auth_type: connector.pattern.type,
      settings: JSON.stringify(settings),
      secrets,
      enabled: input.enabled === false ? 0 : 1,
      created_at: now,
      updated_at: now,
    };
    if (!(await this.#store.connections.insert(row))) {
      throw new ToolproxyError('CONNECTION_EXISTS', { details: { name: input.name } });
    }
    this.#audit?.record({ actor, action: 'connection.create', target: { type: 'connection', id: row.name }, details: { connection_id: id, connector: connector.row.identifier, enabled: row.enabled === 1, client_secret_set: secrets !== null } });
    return this.#view(row, connector);
  }

  async get(name: string): Promise<ConnectionView> {
    const { row, connector } = await this.load(name);
    return this.#view(row, connector);
  }

  /** One page, with `totalSize` (how many match across all pages). */
  async list(page: PageRequest, filter: { connector?: string | undefined; query?: string | undefined } = {}): Promise<Page<ConnectionView>> {
    const connectorId = filter.connector ? (await this.#connectors.load(filter.connector)).row.id : undefined;
    const storeFilter = { ...(connectorId ? { connectorId } : {}), ...(filter.query ? { query: filter.query } : {}) };
    const [result, totalSize] = await Promise.all([this.#store.connections.list(page, storeFilter), this.#store.connections.count(storeFilter)]);
    const items: ConnectionView[] = [];
    // One read per distinct connector, not per connection.
    const connectors = new Map<string, Promise<LoadedConnector>>();
    for (const row of result.items) {
      if (!connectors.has(row.connector_id)) connectors.set(row.connector_id, this.#connectorOf(row));
      items.push(this.#view(row, await connectors.get(row.connector_id)!));
    }
    return { items, nextPageToken: result.nextPageToken, totalSize };
  }

  async update(name: string, patch: { enabled?: boolean | undefined } & OAuthSettingsInput, actor?: Actor): Promise<ConnectionView> {
    const { row, connector } = await this.load(name);
    const next: ConnectionRow = { ...row, enabled: patch.enabled === undefined ? row.enabled : patch.enabled ? 1 : 0, updated_at: this.#clock() };
    if (connector.pattern.type === 'OAUTH') {
      const current = { settings: JSON.parse(row.settings) as OAuthSettings, hasSecret: row.secrets !== null };
      const resolved = resolveOAuthSettings(connector.pattern, patch, current);
      next.settings = JSON.stringify(resolved.settings);
      if (patch.client_secret === '') next.secrets = null;
      else if (resolved.clientSecret !== undefined) next.secrets = this.#vault.encryptJson({ client_secret: resolved.clientSecret }, secretsBinding(row.id));
    } else {
      refuseOAuthSettings(patch);
    }
    await this.#store.connections.update(row.id, { enabled: next.enabled, settings: next.settings, secrets: next.secrets, updated_at: next.updated_at });
    this.#changes.configChanged();
    this.#audit?.record({
      actor,
      action: 'connection.update',
      target: { type: 'connection', id: row.name },
      // Whether the OAuth client secret changed, never its value.
      details: { connection_id: row.id, enabled: next.enabled === 1, client_secret_changed: next.secrets !== row.secrets },
    });
    return this.#view(next, connector);
  }

  /** The OAuth client registration of an OAUTH connection, with its secret decrypted for use. */
  oauthRegistration(connection: LoadedConnection): OAuthClientRegistration {
    const settings = JSON.parse(connection.row.settings) as OAuthSettings;
    const secret = connection.row.secrets
      ? this.#vault.decryptJson<{ client_secret: string }>(connection.row.secrets, secretsBinding(connection.row.id)).client_secret
      : null;
    return {
      clientId: settings.client_id,
      clientSecret: secret === null ? null : new Secret(secret),
      authMethod: settings.token_endpoint_auth_method,
      redirectUri: this.redirectUri(connection.row.name),
      scopes: settings.scopes,
      extraAuthorizeParams: settings.extra_authorize_params,
    };
  }

  /** One redirect URI per connection: responses from different servers stay apart (O4, RFC 9700 §4.4.2). */
  redirectUri(connectionName: string): string {
    return `${this.#publicUrl}/oauth/callback/${encodeURIComponent(connectionName)}`;
  }

  #view(row: ConnectionRow, connector: LoadedConnector): ConnectionView {
    const view = toView(row, connector);
    if (row.auth_type !== 'OAUTH') return view;
    return { ...view, settings: { ...view.settings, has_client_secret: row.secrets !== null }, redirect_uri: this.redirectUri(row.name) };
  }

  async delete(name: string, actor?: Actor): Promise<void> {
    const { row } = await this.load(name);
    const outcome = await this.#store.connections.deleteIfUnused(row.id);
    if (outcome === 'in_use') throw new ToolproxyError('CONNECTION_IN_USE');
    if (outcome === 'not_found') throw new ToolproxyError('CONNECTION_NOT_FOUND');
    this.#changes.configChanged();
    this.#audit?.record({ actor, action: 'connection.delete', target: { type: 'connection', id: row.name }, details: { connection_id: row.id } });
  }

  async load(name: string): Promise<LoadedConnection> {
    const row = await this.#store.connections.findByName(name);
    if (!row) throw new ToolproxyError('CONNECTION_NOT_FOUND', { details: { connection_name: name } });
    return { row, connector: await this.#connectorOf(row) };
  }

  /**
   * A connector by identifier or id, as filters name it (the reference's `provider`): exactly,
   * else lower-cased, so the reference's upper-case keys (`STRIPE`) find the built-in `stripe`.
   */
  async connector(provider: string): Promise<LoadedConnector> {
    try {
      return await this.#connectors.load(provider);
    } catch (error) {
      const lower = provider.toLowerCase();
      if (lower === provider || !(error instanceof ToolproxyError) || error.code !== 'CONNECTOR_NOT_FOUND') throw error;
      return this.#connectors.load(lower);
    }
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

export function secretsBinding(connectionId: string): SecretBinding {
  return { table: 'connections', rowId: connectionId, column: 'secrets' };
}

function toView(row: ConnectionRow, connector: LoadedConnector): ConnectionView {
  return {
    id: row.id,
    name: row.name,
    connector: connector.row.identifier,
    connector_id: row.connector_id,
    built_in: connector.row.origin === 'catalog',
    type: row.auth_type,
    enabled: row.enabled === 1,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
