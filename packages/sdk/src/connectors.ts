import { ToolproxyError } from './errors.ts';
import { type CallOptions, segment, type Transport } from './transport.ts';
import { type Connector, type ConnectorDefinition, type ConnectorWarning, toConnector } from './types.ts';

export interface ListConnectorsOptions extends CallOptions {
  pageSize?: number;
  pageToken?: string;
  /** `builtin`: the server's catalog; `custom`: yours; `all` (the default): both. */
  type?: 'builtin' | 'custom' | 'all';
}

const PROVIDER_TYPE = { builtin: 'DEFAULT', custom: 'CUSTOM', all: 'ALL' } as const;

/** Connectors, built-in (the server's catalog, read-only) and custom: how an upstream API authenticates. */
export class Connectors {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Creates a connector from a definition. An invalid definition is refused with every problem
   * listed: `ToolproxyApiError` with code `CONNECTOR_INVALID` and `error.problems`. `warnings`
   * says what the saved connector will run into (a `proxy_url` the server may not call).
   *
   * @example
   * const connector = await client.connectors.create({
   *   display_name: 'Acme Billing', proxy_url: 'https://api.acme.example/v1', proxy_enabled: true,
   *   auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }] }],
   * });
   * connector.identifier; // 'acme-billing'
   */
  async create(definition: ConnectorDefinition, options: CallOptions = {}): Promise<Connector> {
    const body = await this.#transport.json<{ provider: object; warnings?: ConnectorWarning[] }>('POST', '/api/v1/custom-providers', { ...options, body: definition });
    return { ...toConnector(body.provider), warnings: body.warnings ?? [] };
  }

  async get(identifier: string, options: CallOptions = {}): Promise<Connector> {
    const body = await this.#transport.json<{ provider: object }>('GET', `/api/v1/custom-providers/${segment(identifier)}`, options);
    return toConnector(body.provider);
  }

  async list(options: ListConnectorsOptions = {}): Promise<{ connectors: Connector[]; nextPageToken: string | null }> {
    const body = await this.#transport.json<{ providers: object[]; next_page_token: string | null }>('GET', '/api/v1/providers', {
      ...options,
      query: { page_size: options.pageSize, page_token: options.pageToken, 'filter.provider_type': options.type && PROVIDER_TYPE[options.type] },
    });
    return { connectors: body.providers.map(toConnector), nextPageToken: body.next_page_token };
  }

  /** Replaces the whole definition (fields left out are not kept). Built-in connectors are refused (`CONNECTOR_BUILT_IN`). */
  async replace(identifier: string, definition: ConnectorDefinition, options: CallOptions = {}): Promise<Connector> {
    const body = await this.#transport.json<{ provider: object; warnings?: ConnectorWarning[] }>('PUT', `/api/v1/custom-providers/${segment(identifier)}`, { ...options, body: definition });
    return { ...toConnector(body.provider), warnings: body.warnings ?? [] };
  }

  /** Refused with `CONNECTOR_IN_USE` while connections use it, and with `CONNECTOR_BUILT_IN` for a built-in one. */
  async delete(identifier: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.json('DELETE', `/api/v1/custom-providers/${segment(identifier)}`, options);
  }

  /**
   * Creates the connector, or replaces the one it names, so a definition file can be applied
   * again and again. The existing connector is the one whose `identifier` the definition gives,
   * else the one with the same `display_name` (refused when several share it). Only custom
   * connectors are candidates: a file named like a built-in one becomes a custom connector.
   */
  async apply(definition: ConnectorDefinition, options: CallOptions = {}): Promise<{ connector: Connector; action: 'created' | 'replaced' }> {
    const existing = await this.#find(definition, options);
    if (existing) return { connector: await this.replace(existing, definition, options), action: 'replaced' };
    return { connector: await this.create(definition, options), action: 'created' };
  }

  async #find(definition: ConnectorDefinition, options: CallOptions): Promise<string | undefined> {
    const all: Connector[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.list({ ...options, type: 'custom', pageSize: 100, ...(pageToken ? { pageToken } : {}) });
      all.push(...page.connectors);
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    const named = typeof definition.identifier === 'string' ? all.find((c) => c.identifier === definition.identifier) : undefined;
    if (named) return named.identifier;
    const sameName = all.filter((c) => c.displayName === definition.display_name);
    if (sameName.length > 1) {
      throw new ToolproxyError(
        'AMBIGUOUS_CONNECTOR',
        `${sameName.length} connectors are named "${definition.display_name}" (${sameName.map((c) => c.identifier).join(', ')}); add "identifier" to the definition to pick one.`,
      );
    }
    return sameName[0]?.identifier;
  }
}
