import { randomBytes } from 'node:crypto';
import { assertValidIdentifier } from '../accounts/accounts-service.ts';
import type { Clock } from '../clock.ts';
import { ToolproxyError } from '../errors.ts';
import { sha256Hex } from '../ids.ts';
import type { LoadedMcpConfig } from '../mcp/configs-service.ts';
import type { McpConnectedAccounts, McpConnectionState } from '../mcp/connected-accounts.ts';
import { newMcpId } from '../mcp/ids.ts';
import { parseScope } from '../mcp/scopes.ts';
import type { McpAuthorizationRequestRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { OAuthClients, OAuthClient } from './clients.ts';
import { invalidRequest, invalidScope, OAuthError } from './oauth-error.ts';
import { isS256Challenge } from './pkce.ts';
import type { Resources } from './resources.ts';

/** The auth_request_id handed to the app's user_verify_url; the prefix tells it from an account's. */
export const MCP_AUTH_REQUEST_PREFIX = 'tpmar_';
const REQUEST_TTL_MS = 10 * 60_000;
/** RFC 6749 §4.1.2: short-lived; OAuth 2.1 recommends at most 10 minutes, one is plenty for a redirect. */
const CODE_TTL_MS = 60_000;

export function consentCookieName(requestId: string): string {
  return `tp_mcp_${requestId}`;
}

export type AuthorizeOutcome =
  /** The client or its redirect URI cannot be trusted: show an error, never redirect (RFC 6749 §4.1.2.1). */
  | { kind: 'error_page'; error: OAuthError }
  | { kind: 'redirect'; location: string; cookie?: { name: string; value: string; maxAgeSeconds: number } };

export interface ConsentView {
  requestId: string;
  client: { id: string; name: string; uri: string | null; source: OAuthClient['source'] };
  redirectUri: string;
  config: { name: string; description: string };
  scopes: string[];
  connections: McpConnectionState[];
}

/**
 * `/oauth2/authorize` and what follows it, until a code: toolproxy has no user logins, so the
 * browser goes to the config's user_verify_url, where the app — from its own session — confirms
 * which of its users this is (POST /api/v1/connected_accounts/user/verify, the same call as for
 * connected accounts, reference §3.5). The user then sees a consent page naming the client, the
 * config and its connections (the confused-deputy rule: consent per client). The request is bound
 * to the browser that started it by an HttpOnly cookie, so a link forwarded to someone else's
 * browser cannot be consented to there.
 */
export class AuthorizationRequests {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #clients: OAuthClients;
  readonly #resources: Resources;
  readonly #accounts: McpConnectedAccounts;
  readonly #issuer: string;

  constructor(deps: { store: Store; clock: Clock; clients: OAuthClients; resources: Resources; accounts: McpConnectedAccounts; issuer: string }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#clients = deps.clients;
    this.#resources = deps.resources;
    this.#accounts = deps.accounts;
    this.#issuer = deps.issuer;
  }

  async start(query: Record<string, string | undefined>): Promise<AuthorizeOutcome> {
    let client: OAuthClient;
    try {
      client = await this.#clients.resolve(query.client_id);
    } catch (error) {
      if (error instanceof OAuthError) return { kind: 'error_page', error };
      throw error;
    }
    const redirectUri = query.redirect_uri ?? (client.metadata.redirect_uris.length === 1 ? client.metadata.redirect_uris[0] : undefined);
    // OAuth 2.1 §2.3.1: exact string comparison with a registered URI.
    if (!redirectUri || !client.metadata.redirect_uris.includes(redirectUri)) {
      return { kind: 'error_page', error: new OAuthError('invalid_request', 'MCP_OAUTH_INVALID_REDIRECT_URI', 'redirect_uri is missing or is not registered for this client.') };
    }
    const state = query.state;
    try {
      if (state !== undefined && state.length > 1024) throw invalidRequest('state is longer than 1024 characters.');
      if (query.response_type !== 'code') throw new OAuthError('unsupported_response_type', 'MCP_OAUTH_INVALID_REQUEST', 'response_type must be code.');
      // OAuth 2.1 §4.1.1 and MCP: PKCE is required, and only S256.
      if (!isS256Challenge(query.code_challenge)) throw invalidRequest('code_challenge is required (PKCE, RFC 7636): 43 base64url characters.');
      if (query.code_challenge_method !== 'S256') throw invalidRequest('code_challenge_method must be S256.');
      const config = await this.#resources.configOf(query.resource);
      const scope = parseScope(query.scope);
      if (!scope) throw invalidScope('scope names an unknown scope; this server knows tools:read and tools:call.');
      if (!config.userVerifyUrl) {
        throw new OAuthError('server_error', 'MCP_USER_VERIFICATION_NOT_CONFIGURED', 'This MCP server config has no user_verify_url, so it cannot authorize MCP clients.');
      }
      const id = newMcpId('mar');
      const authRequestId = `${MCP_AUTH_REQUEST_PREFIX}${randomBytes(32).toString('base64url')}`;
      const nonce = randomBytes(32).toString('base64url');
      const now = this.#clock();
      await this.#store.mcpAuthorization.insertRequest({
        id,
        client_id: client.clientId,
        redirect_uri: redirectUri,
        code_challenge: query.code_challenge,
        scope: scope.join(' '),
        config_id: config.id,
        state: state ?? null,
        browser_binding_hash: sha256Hex(nonce),
        auth_request_hash: sha256Hex(authRequestId),
        identifier: null,
        verified_at: null,
        code_hash: null,
        code_expires_at: null,
        code_used_at: null,
        grant_id: null,
        expires_at: now + REQUEST_TTL_MS,
        created_at: now,
      });
      const verify = new URL(config.userVerifyUrl);
      verify.searchParams.set('auth_request_id', authRequestId);
      return { kind: 'redirect', location: verify.href, cookie: { name: consentCookieName(id), value: nonce, maxAgeSeconds: REQUEST_TTL_MS / 1000 } };
    } catch (error) {
      if (error instanceof OAuthError) return { kind: 'redirect', location: this.#errorRedirect(redirectUri, error, state) };
      throw error;
    }
  }

  /** The app vouched for its user: the identifier is bound to the request, once. */
  async verifyUser(authRequestId: string, identifier: string): Promise<{ redirectUrl: string }> {
    assertValidIdentifier(identifier);
    const request = await this.#store.mcpAuthorization.findRequestByAuthRequestHash(sha256Hex(authRequestId));
    if (!request || !(await this.#store.mcpAuthorization.verifyRequest(request.id, identifier, this.#clock()))) throw new ToolproxyError('AUTH_REQUEST_NOT_FOUND');
    return { redirectUrl: `${this.#issuer}/oauth2/consent/${request.id}` };
  }

  /** What the consent page shows; only to the browser that started the request, once verified. */
  async consent(requestId: string, cookies: Readonly<Record<string, string>>): Promise<ConsentView> {
    const { request, client, config } = await this.#pending(requestId, cookies);
    return {
      requestId,
      client: { id: client.clientId, name: client.metadata.client_name ?? client.clientId, uri: client.metadata.client_uri ?? null, source: client.source },
      redirectUri: request.redirect_uri,
      config: { name: config.name, description: config.description },
      scopes: request.scope.split(' '),
      connections: await this.#accounts.states(config, request.identifier!),
    };
  }

  /** The user's answer: a one-time code to the client, or access_denied. Either ends the request. */
  async decide(requestId: string, cookies: Readonly<Record<string, string>>, approve: boolean): Promise<{ location: string; approved: boolean }> {
    const { request } = await this.#pending(requestId, cookies);
    const code = `tpmac_${randomBytes(32).toString('base64url')}`;
    const now = this.#clock();
    if (!(await this.#store.mcpAuthorization.issueCode(request.id, sha256Hex(code), now + CODE_TTL_MS, now))) throw invalidConsent();
    if (!approve) {
      await this.#store.mcpAuthorization.takeCode(request.id, now);
      return { location: this.#errorRedirect(request.redirect_uri, new OAuthError('access_denied', 'MCP_OAUTH_INVALID_REQUEST', 'The user denied access.'), request.state ?? undefined), approved: false };
    }
    const url = new URL(request.redirect_uri);
    url.searchParams.set('code', code);
    if (request.state !== null) url.searchParams.set('state', request.state);
    url.searchParams.set('iss', this.#issuer); // RFC 9207
    return { location: url.href, approved: true };
  }

  async #pending(requestId: string, cookies: Readonly<Record<string, string>>): Promise<{ request: McpAuthorizationRequestRow; client: OAuthClient; config: LoadedMcpConfig }> {
    const request = requestId.length <= 64 ? await this.#store.mcpAuthorization.findRequest(requestId) : undefined;
    const nonce = cookies[consentCookieName(requestId)];
    if (!request || request.expires_at <= this.#clock() || request.identifier === null || request.code_hash !== null) throw invalidConsent();
    if (!nonce || sha256Hex(nonce) !== request.browser_binding_hash) throw invalidConsent();
    const client = await this.#clients.resolve(request.client_id);
    const config = await this.#resources.configById(request.config_id);
    return { request, client, config };
  }

  /** RFC 6749 §4.1.2.1 error response, with `iss` (RFC 9207). */
  #errorRedirect(redirectUri: string, error: OAuthError, state: string | undefined): string {
    const url = new URL(redirectUri);
    url.searchParams.set('error', error.error);
    url.searchParams.set('error_description', error.message);
    if (state !== undefined) url.searchParams.set('state', state);
    url.searchParams.set('iss', this.#issuer);
    return url.href;
  }
}

function invalidConsent(): ToolproxyError {
  return new ToolproxyError('MCP_AUTHORIZATION_REQUEST_INVALID');
}

