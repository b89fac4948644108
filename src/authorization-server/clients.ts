import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { newToken, sha256Hex } from '../ids.ts';
import type { Store } from '../store/store.ts';
import { ClientIdDocuments } from './client-id-documents.ts';
import { type ClientMetadata, validateClientMetadata } from './client-metadata.ts';
import { invalidClient } from './oauth-error.ts';

/** A client as the authorization server uses it, however it was identified. */
export interface OAuthClient {
  clientId: string;
  metadata: ClientMetadata;
  /** SHA-256 of its secret (registered confidential clients only). */
  secretHash: string | null;
  source: 'registration' | 'metadata_document';
}

/** What a token request presented to authenticate its client (RFC 6749 §2.3.1). */
export interface ClientCredentials {
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** How the secret came: the Authorization header (basic) or the form (post). */
  via: 'basic' | 'post' | 'none';
}

export interface RegistrationResponse extends ClientMetadata {
  client_id: string;
  client_secret?: string;
  client_id_issued_at: number;
  client_secret_expires_at?: number;
}

/**
 * The MCP OAuth clients: registered dynamically (RFC 7591), or named by a Client ID Metadata
 * Document URL (fetched, never stored). Secrets of confidential clients are stored as SHA-256
 * digests only and returned once, in the registration response.
 */
export class OAuthClients {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #documents: ClientIdDocuments;

  constructor(deps: { store: Store; clock: Clock; documents: ClientIdDocuments }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#documents = deps.documents;
  }

  /** RFC 7591 §3: open registration; every MCP client that registers still needs its user's consent. */
  async register(body: unknown): Promise<RegistrationResponse> {
    const metadata = validateClientMetadata(body, { documentClient: false });
    const clientId = newToken('tpmc_').slice(0, 37);
    const secret = metadata.token_endpoint_auth_method === 'none' ? undefined : newToken('tpmcs_');
    const now = this.#clock();
    await this.#store.mcpAuthorization.insertClient({
      client_id: clientId,
      secret_hash: secret === undefined ? null : sha256Hex(secret),
      metadata: JSON.stringify(metadata),
      created_at: now,
    });
    return {
      client_id: clientId,
      ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
      client_id_issued_at: Math.floor(now / 1000),
      ...metadata,
    };
  }

  /** The client named by `clientId`, or invalid_client. */
  async resolve(clientId: string | undefined): Promise<OAuthClient> {
    if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 2048) throw invalidClient('client_id is missing or invalid.');
    if (ClientIdDocuments.isDocumentUrl(clientId)) {
      return { clientId, metadata: await this.#documents.resolve(clientId), secretHash: null, source: 'metadata_document' };
    }
    const row = clientId.startsWith('tpmc_') && clientId.length <= 64 ? await this.#store.mcpAuthorization.findClient(clientId) : undefined;
    if (!row) throw invalidClient('Unknown client_id.');
    return { clientId, metadata: JSON.parse(row.metadata) as ClientMetadata, secretHash: row.secret_hash, source: 'registration' };
  }

  /**
   * Token and revocation endpoints: the client, authenticated the way it registered. A public
   * client proves nothing here (PKCE and the refresh token's binding do that); a confidential one
   * must present its secret by its registered method.
   */
  async authenticate(credentials: ClientCredentials): Promise<OAuthClient> {
    const client = await this.resolve(credentials.clientId);
    const method = client.metadata.token_endpoint_auth_method;
    if (method === 'none') {
      if (credentials.via !== 'none') throw invalidClient('This client is public: send client_id only, no secret.');
      return client;
    }
    const expectedVia = method === 'client_secret_basic' ? 'basic' : 'post';
    const expected = Buffer.from(client.secretHash ?? sha256Hex('\0no-secret'), 'hex');
    const given = Buffer.from(sha256Hex(credentials.clientSecret ?? ''), 'hex');
    if (credentials.via !== expectedVia || !timingSafeEqual(expected, given)) throw invalidClient('Client authentication failed.');
    return client;
  }
}
