import { type CallOptions, segment, type Transport } from './transport.ts';
import type { ListConnectionsOptions } from './actions.ts';
import { type Connection, toConnection } from './types.ts';

/** Connections: named, configured instances of a connector (the `connectionName` of every call). */
export class Connections {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * @example
   * await client.connections.create({ name: 'acme', connector: 'acme-billing' });
   */
  async create(input: { name: string; connector: string; enabled?: boolean } & CallOptions): Promise<Connection> {
    const { name, connector, enabled } = input;
    const body = await this.#transport.json<{ connection: object }>('POST', '/api/v1/connections', {
      ...input,
      body: { name, connector, ...(enabled === undefined ? {} : { enabled }) },
    });
    return toConnection(body.connection);
  }

  async get(name: string, options: CallOptions = {}): Promise<Connection> {
    const body = await this.#transport.json<{ connection: object }>('GET', `/api/v1/connections/${segment(name)}`, options);
    return toConnection(body.connection);
  }

  async list(options: ListConnectionsOptions = {}): Promise<{ connections: Connection[]; nextPageToken: string | null }> {
    const body = await this.#transport.json<{ connections: object[]; next_page_token: string | null }>('GET', '/api/v1/connections', {
      ...options,
      query: { connector: options.connector, page_size: options.pageSize, page_token: options.pageToken },
    });
    return { connections: body.connections.map(toConnection), nextPageToken: body.next_page_token };
  }

  /** Enables or disables the connection (a disabled one refuses proxy calls with CONNECTION_DISABLED). */
  async update(name: string, patch: { enabled?: boolean }, options: CallOptions = {}): Promise<Connection> {
    const body = await this.#transport.json<{ connection: object }>('PATCH', `/api/v1/connections/${segment(name)}`, { ...options, body: patch });
    return toConnection(body.connection);
  }

  /** Refused with `CONNECTION_IN_USE` while it has connected accounts. */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.json('DELETE', `/api/v1/connections/${segment(name)}`, options);
  }
}
