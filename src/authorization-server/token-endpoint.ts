import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { sha256Hex } from '../ids.ts';
import { newMcpId } from '../mcp/ids.ts';
import { parseScope } from '../mcp/scopes.ts';
import type { McpTokenSigner } from '../mcp/tokens.ts';
import type { McpGrantRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { ClientCredentials, OAuthClient, OAuthClients } from './clients.ts';
import type { Grants } from './grants.ts';
import { invalidGrant, invalidRequest, invalidScope, invalidTarget, OAuthError } from './oauth-error.ts';
import { verifiesS256 } from './pkce.ts';
import type { Resources } from './resources.ts';

/** MCP 2025-11-25 "Token Theft": short-lived access tokens. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600_000;
const REFRESH_TOKEN_PREFIX = 'tpmrt_';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Only for clients that registered the refresh_token grant. */
  refresh_token?: string;
  scope: string;
}

/** What happened, for metrics (never a token). */
export type TokenEvent = 'token_issued' | 'token_refreshed' | 'refresh_reuse_revoked' | 'code_replay_revoked';

/**
 * `/oauth2/token` (OAuth 2.1 §3.2) for MCP clients: the authorization code grant with PKCE, and
 * the refresh token grant with rotation (OAuth 2.1 §4.3.1, required for public clients): every
 * refresh token is single-use, and presenting one that was already rotated revokes its whole
 * family (the grant), since either the client or an attacker holds a stolen copy.
 */
export class TokenEndpoint {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #clients: OAuthClients;
  readonly #resources: Resources;
  readonly #grants: Grants;
  readonly #signer: McpTokenSigner;
  readonly #onEvent: (event: TokenEvent) => void;

  constructor(deps: { store: Store; clock: Clock; clients: OAuthClients; resources: Resources; grants: Grants; signer: McpTokenSigner; onEvent?: (event: TokenEvent) => void }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#clients = deps.clients;
    this.#resources = deps.resources;
    this.#grants = deps.grants;
    this.#signer = deps.signer;
    this.#onEvent = deps.onEvent ?? (() => undefined);
  }

  async token(params: Record<string, string | undefined>, credentials: ClientCredentials): Promise<TokenResponse> {
    const grantType = params.grant_type;
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      throw new OAuthError('unsupported_grant_type', 'MCP_OAUTH_UNSUPPORTED_GRANT_TYPE');
    }
    const client = await this.#clients.authenticate(credentials);
    if (!client.metadata.grant_types.includes(grantType)) throw new OAuthError('unauthorized_client', 'MCP_OAUTH_INVALID_GRANT', `This client did not register the ${grantType} grant.`);
    return grantType === 'authorization_code' ? this.#exchange(params, client) : this.#refresh(params, client);
  }

  /** RFC 7009: revokes the grant a refresh or access token belongs to; always 200 for a valid client. */
  async revoke(params: Record<string, string | undefined>, credentials: ClientCredentials): Promise<void> {
    const client = await this.#clients.authenticate(credentials);
    const token = params.token;
    if (typeof token !== 'string' || token.length === 0) throw invalidRequest('token is required.');
    let grantId: string | undefined;
    if (token.startsWith(REFRESH_TOKEN_PREFIX)) grantId = (await this.#store.mcpAuthorization.findRefreshToken(sha256Hex(token)))?.grant_id;
    else grantId = this.#signer.verify(token)?.grantId;
    if (!grantId) return;
    const grant = await this.#store.mcpAuthorization.findGrant(grantId);
    if (grant && grant.client_id === client.clientId) await this.#grants.revoke(grant.id);
  }

  async #exchange(params: Record<string, string | undefined>, client: OAuthClient): Promise<TokenResponse> {
    const code = params.code;
    if (typeof code !== 'string' || code.length === 0 || code.length > 200) throw invalidRequest('code is required.');
    const request = await this.#store.mcpAuthorization.findRequestByCodeHash(sha256Hex(code));
    if (!request || request.identifier === null) throw invalidGrant('The authorization code is invalid.');
    const now = this.#clock();
    if (request.code_used_at !== null) {
      // RFC 6749 §4.1.2: a code used twice is an attack; revoke what it issued.
      if (request.grant_id) {
        await this.#grants.revoke(request.grant_id);
        this.#onEvent('code_replay_revoked');
      }
      throw invalidGrant('The authorization code was already used.');
    }
    if (request.code_expires_at === null || request.code_expires_at <= now) throw invalidGrant('The authorization code has expired.');
    // The code is bound to its client, redirect URI, PKCE challenge and resource.
    if (request.client_id !== client.clientId) throw invalidGrant('The authorization code was issued to another client.');
    if (params.redirect_uri !== request.redirect_uri) throw invalidGrant('redirect_uri does not match the authorization request.');
    if (params.code_verifier === undefined) throw invalidRequest('code_verifier is required (PKCE).');
    if (!verifiesS256(params.code_verifier, request.code_challenge)) throw invalidGrant('code_verifier does not match the code_challenge.');
    const config = await this.#resources.configById(request.config_id, () => invalidGrant('The MCP server config of this code no longer exists.'));
    if (params.resource !== undefined && (await this.#resources.configOf(params.resource)).id !== config.id) {
      throw invalidTarget('resource is not the one the code was issued for.');
    }
    const grant: McpGrantRow = { id: newMcpId('mcg'), client_id: client.clientId, config_id: config.id, identifier: request.identifier, scope: request.scope, created_at: now, revoked_at: null };
    const refreshToken = client.metadata.grant_types.includes('refresh_token') ? newRefreshToken() : undefined;
    await this.#store.transaction(async (repos) => {
      if (!(await repos.mcpAuthorization.takeCode(request.id, now))) throw invalidGrant('The authorization code was already used.');
      await repos.mcpAuthorization.insertGrant(grant);
      await repos.mcpAuthorization.setRequestGrant(request.id, grant.id);
      if (refreshToken) {
        await repos.mcpAuthorization.insertRefreshToken({ token_hash: sha256Hex(refreshToken), grant_id: grant.id, created_at: now, expires_at: now + REFRESH_TOKEN_TTL_MS, rotated_at: null });
      }
    });
    this.#onEvent('token_issued');
    return this.#response(grant, config.url, grant.scope.split(' '), refreshToken, now);
  }

  async #refresh(params: Record<string, string | undefined>, client: OAuthClient): Promise<TokenResponse> {
    const presented = params.refresh_token;
    if (typeof presented !== 'string' || !presented.startsWith(REFRESH_TOKEN_PREFIX) || presented.length > 200) throw invalidGrant('The refresh token is invalid.');
    const hash = sha256Hex(presented);
    const stored = await this.#store.mcpAuthorization.findRefreshToken(hash);
    const grant = stored ? await this.#store.mcpAuthorization.findGrant(stored.grant_id) : undefined;
    if (!stored || !grant || grant.client_id !== client.clientId) throw invalidGrant('The refresh token is invalid.');
    if (grant.revoked_at !== null) throw invalidGrant('The grant of this refresh token was revoked.');
    const now = this.#clock();
    if (stored.rotated_at !== null) return this.#reused(grant);
    if (stored.expires_at <= now) throw invalidGrant('The refresh token has expired.');
    const config = await this.#resources.configById(grant.config_id, () => invalidGrant('The MCP server config of this grant no longer exists.'));
    if (params.resource !== undefined && (await this.#resources.configOf(params.resource)).id !== config.id) throw invalidTarget('resource is not the one this grant is for.');
    const granted = grant.scope.split(' ');
    const scope = params.scope === undefined ? granted : parseScope(params.scope);
    if (!scope || !scope.every((s) => granted.includes(s))) throw invalidScope('scope is wider than the grant.');
    const next = newRefreshToken();
    const rotated = await this.#store.transaction(async (repos) => {
      if (!(await repos.mcpAuthorization.rotateRefreshToken(hash, now))) return false;
      await repos.mcpAuthorization.insertRefreshToken({ token_hash: sha256Hex(next), grant_id: grant.id, created_at: now, expires_at: now + REFRESH_TOKEN_TTL_MS, rotated_at: null });
      return true;
    });
    // Lost the race to another use of the same token: that is a reuse too.
    if (!rotated) return this.#reused(grant);
    this.#onEvent('token_refreshed');
    return this.#response(grant, config.url, scope, next, now);
  }

  async #reused(grant: McpGrantRow): Promise<never> {
    await this.#grants.revoke(grant.id);
    this.#onEvent('refresh_reuse_revoked');
    throw invalidGrant('The refresh token was already used; every token of this grant is revoked. Authorize again.');
  }

  #response(grant: McpGrantRow, audience: string, scope: readonly string[], refreshToken: string | undefined, now: number): TokenResponse {
    const accessToken = this.#signer.sign({
      kind: 'access',
      configId: grant.config_id,
      identifier: grant.identifier,
      audience,
      issuedAt: now,
      expiresAt: now + ACCESS_TOKEN_TTL_SECONDS * 1000,
      scope,
      policy: null,
      clientId: grant.client_id,
      grantId: grant.id,
    });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS, ...(refreshToken ? { refresh_token: refreshToken } : {}), scope: scope.join(' ') };
  }
}

function newRefreshToken(): string {
  return `${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}
