import type { AuditRecorder } from '../audit/audit-entry.ts';
import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { ToolproxyError } from '../errors.ts';
import { newId, newToken, sha256Hex } from '../ids.ts';
import type { Repositories } from '../store/repositories.ts';
import type { Store } from '../store/store.ts';
import { Secret } from '../vault/secret.ts';
import type { AppTokenClaims, AppTokenSigner } from './app-tokens.ts';
import type { Actor } from '../actor.ts';

export interface ApiClientView {
  client_id: string;
  name: string;
  is_bootstrap: boolean;
  created_at: string;
  revoked_at: string | null;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** How many verified tokens are remembered (cleared wholesale when full: bounded, no LRU needed). */
const VERIFIED_TOKENS_KEPT = 1024;

/** How long a client's revoked/active state is trusted before it is re-read. */
const CLIENT_STATE_TTL_MS = 30_000;

/**
 * API clients authenticate the application (not its end users): client credentials in, a
 * short-lived bearer token out. Secrets are stored as SHA-256 digests only.
 */
export class ApiClientsService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #signer: AppTokenSigner;
  readonly #tokenTtlSeconds: number;
  readonly #activeUntil = new Map<string, number>();
  /** Tokens whose MAC already checked out: the proxy sees the same few tokens again and again. */
  readonly #verified = new Map<string, AppTokenClaims>();
  readonly #audit: AuditRecorder | undefined;

  /** `audit`: the audit trail (API client create and revoke). */
  constructor(deps: { store: Store; clock: Clock; signer: AppTokenSigner; tokenTtlSeconds: number; audit?: AuditRecorder }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#signer = deps.signer;
    this.#tokenTtlSeconds = deps.tokenTtlSeconds;
    this.#audit = deps.audit;
  }

  /** `repos`: write through these (a transaction's) instead of the store's. */
  async create(
    name: string,
    options: { clientId?: string; clientSecret?: string; isBootstrap?: boolean; repos?: Pick<Repositories, 'apiClients'>; actor?: Actor | undefined } = {},
  ): Promise<{ client: ApiClientView; clientSecret: Secret }> {
    const clientId = options.clientId ?? newApiClientId();
    const clientSecret = options.clientSecret ?? newApiClientSecret();
    const now = this.#clock();
    const repos = options.repos ?? this.#store;
    await repos.apiClients.insert({
      id: newId('cli'),
      client_id: clientId,
      secret_hash: sha256Hex(clientSecret),
      name,
      is_bootstrap: options.isBootstrap ? 1 : 0,
      created_at: now,
    });
    const row = await repos.apiClients.findByClientId(clientId);
    if (!row) throw new ToolproxyError('INTERNAL_ERROR', { message: 'api client vanished after insert' });
    this.#audit?.record({ actor: options.actor, action: 'api_client.create', target: { type: 'api_client', id: clientId }, details: { name, bootstrap: options.isBootstrap === true } });
    return { client: toView(row), clientSecret: new Secret(clientSecret) };
  }

  async list(): Promise<ApiClientView[]> {
    return (await this.#store.apiClients.list()).map(toView);
  }

  /**
   * Revokes an active client: CLIENT_NOT_FOUND when there is none by that id, LAST_ACTIVE_CLIENT
   * when it is the only one left (revoking it would lock every caller, the CLI included, out).
   */
  async revoke(clientId: string, actor?: Actor): Promise<void> {
    const active = (await this.#store.apiClients.list()).filter((client) => client.revoked_at === null);
    if (!active.some((client) => client.client_id === clientId)) throw new ToolproxyError('CLIENT_NOT_FOUND', { details: { client_id: clientId } });
    if (active.length === 1) throw new ToolproxyError('LAST_ACTIVE_CLIENT');
    const revoked = await this.#store.apiClients.revoke(clientId, this.#clock());
    this.#activeUntil.delete(clientId);
    if (!revoked) throw new ToolproxyError('CLIENT_NOT_FOUND', { details: { client_id: clientId } });
    this.#audit?.record({ actor, action: 'api_client.revoke', target: { type: 'api_client', id: clientId } });
  }

  /** RFC 6749 §4.4 client credentials grant. */
  async issueToken(clientId: string, clientSecret: string): Promise<IssuedToken> {
    const row = await this.#store.apiClients.findByClientId(clientId);
    // Compare digests in constant time; an unknown client costs the same as a wrong secret.
    const expected = Buffer.from(row?.secret_hash ?? sha256Hex('\0unknown-client'), 'hex');
    const given = Buffer.from(sha256Hex(clientSecret), 'hex');
    if (!row || row.revoked_at !== null || !timingSafeEqual(expected, given)) {
      throw new ToolproxyError('INVALID_CLIENT');
    }
    const now = this.#clock();
    this.#activeUntil.set(clientId, now + CLIENT_STATE_TTL_MS);
    return {
      access_token: this.#signer.sign({ clientId, expiresAt: now + this.#tokenTtlSeconds * 1000 }),
      token_type: 'Bearer',
      expires_in: this.#tokenTtlSeconds,
    };
  }

  /** Resolves a bearer token to its client id, or throws UNAUTHENTICATED / TOKEN_EXPIRED. */
  async authenticate(token: string): Promise<string> {
    let claims = this.#verified.get(token);
    if (!claims) {
      claims = this.#signer.verify(token);
      if (!claims) throw new ToolproxyError('UNAUTHENTICATED');
      if (this.#verified.size >= VERIFIED_TOKENS_KEPT) this.#verified.clear();
      this.#verified.set(token, claims);
    }
    const now = this.#clock();
    if (claims.expiresAt <= now) throw new ToolproxyError('TOKEN_EXPIRED');
    const activeUntil = this.#activeUntil.get(claims.clientId);
    if (activeUntil !== undefined && activeUntil > now) return claims.clientId;
    const row = await this.#store.apiClients.findByClientId(claims.clientId);
    if (!row || row.revoked_at !== null) {
      this.#activeUntil.delete(claims.clientId);
      throw new ToolproxyError('UNAUTHENTICATED', { message: 'The API client of this token was revoked.' });
    }
    this.#activeUntil.set(claims.clientId, now + CLIENT_STATE_TTL_MS);
    return claims.clientId;
  }
}

export const newApiClientId = (): string => newToken('tpc_').slice(0, 28);
export const newApiClientSecret = (): string => newToken('tps_');

function toView(row: { client_id: string; name: string; is_bootstrap: number; created_at: number; revoked_at: number | null }): ApiClientView {
  return {
    client_id: row.client_id,
    name: row.name,
    is_bootstrap: row.is_bootstrap === 1,
    created_at: new Date(row.created_at).toISOString(),
    revoked_at: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
  };
}
