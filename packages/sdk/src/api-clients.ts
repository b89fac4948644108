import { type CallOptions, segment, type Transport } from './transport.ts';
import { type ApiClient, toApiClient } from './types.ts';

/** API clients: the credentials applications use to call this server. */
export class ApiClients {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Creates a client. `clientSecret` is returned this once only: store it now. */
  async create(input: { name: string } & CallOptions): Promise<{ client: ApiClient; clientSecret: string }> {
    const body = await this.#transport.json<{ client: object; client_secret: string }>('POST', '/api/v1/clients', { ...input, body: { name: input.name } });
    return { client: toApiClient(body.client), clientSecret: body.client_secret };
  }

  /** Every client, revoked ones included (never their secrets). */
  async list(options: CallOptions = {}): Promise<ApiClient[]> {
    const body = await this.#transport.json<{ clients: object[] }>('GET', '/api/v1/clients', options);
    return body.clients.map(toApiClient);
  }

  /** Revokes a client: its tokens stop working within 30 seconds. The last active client cannot be revoked. */
  async revoke(clientId: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.json('DELETE', `/api/v1/clients/${segment(clientId)}`, options);
  }
}
