import * as oauth from 'oauth4webapi';
import type { OAuthPattern } from '../../connectors/definition-schema.ts';
import { ToolproxyError } from '../../errors.ts';
import type { Secret } from '../../vault/secret.ts';
import { errorBodiesAsBadRequest, standardTokenError } from './token-endpoint-quirks.ts';
import type { OAuthCredentials, TokenSet } from './token-set.ts';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** A connection's OAuth client registration (reference §2), with the secret decrypted for use. */
export interface OAuthClientRegistration {
  clientId: string;
  clientSecret: Secret | null;
  authMethod: TokenEndpointAuthMethod;
  redirectUri: string;
  scopes: readonly string[];
  extraAuthorizeParams: Readonly<Record<string, string>>;
}

export interface OAuthClientOptions {
  timeoutMs: number;
  clock: () => number;
  /** Injected fetch (egress policy, tests); global fetch by default. */
  fetch?: typeof fetch;
}

/**
 * Token types accepted besides Bearer and DPoP (which oauth4webapi knows). Slack's oauth.v2.access
 * answers `token_type: "bot"` for a bot token; it is sent as a Bearer token like any other, which
 * is how Slack takes it. Any other type is still refused.
 */
const TOKEN_RESPONSE_OPTIONS: oauth.ProcessTokenResponseOptions = { recognizedTokenTypes: { bot: () => undefined } };

/**
 * One connection's OAuth client: authorization URL, callback validation, code exchange, refresh
 * and revocation, all through oauth4webapi (spec-checked), never hand-written token code.
 * Provider quirks live in the connector definition (scope separator, scope parameter name,
 * auth method), not in branches on the provider's name.
 */
export class OAuthClient {
  readonly #as: oauth.AuthorizationServer;
  readonly #client: oauth.Client;
  readonly #pattern: OAuthPattern;
  readonly #registration: OAuthClientRegistration;
  readonly #options: OAuthClientOptions;
  readonly #fetch: typeof fetch;

  constructor(pattern: OAuthPattern, registration: OAuthClientRegistration, options: OAuthClientOptions) {
    const config = pattern.oauth_config;
    const { authorizeUri, tokenUri } = endpointsOf(pattern);
    this.#pattern = pattern;
    this.#registration = registration;
    this.#options = options;
    this.#fetch = errorBodiesAsBadRequest(options.fetch ?? fetch);
    this.#as = {
      // Without a configured issuer, `iss` is not compared (see validateCallback) and the
      // per-connection redirect URI keeps responses from different servers apart (O4).
      issuer: config.issuer ?? new URL(tokenUri).origin,
      authorization_endpoint: authorizeUri,
      token_endpoint: tokenUri,
      ...(config.revoke_uri ? { revocation_endpoint: config.revoke_uri } : {}),
    };
    this.#client = { client_id: registration.clientId, token_endpoint_auth_method: registration.authMethod };
  }

  get usesPkce(): boolean {
    return this.#pattern.oauth_config.pkce_enabled !== false;
  }

  /** RFC 6749 §4.1.1 with PKCE S256 (RFC 7636 §4.2) and a single-use state; only `response_type=code` (O5). */
  async authorizationUrl(state: string, codeVerifier: string | null): Promise<string> {
    const config = this.#pattern.oauth_config;
    const url = new URL(endpointsOf(this.#pattern).authorizeUri);
    for (const [name, value] of Object.entries(this.#registration.extraAuthorizeParams)) url.searchParams.set(name, value);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.#registration.clientId);
    url.searchParams.set('redirect_uri', this.#registration.redirectUri);
    if (this.#registration.scopes.length > 0) {
      url.searchParams.set(config.custom_scope_name ?? 'scope', this.#registration.scopes.join(config.scope_separator ?? ' '));
    }
    url.searchParams.set('state', state);
    if (codeVerifier !== null) {
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
      url.searchParams.set('code_challenge_method', 'S256');
    }
    return url.href;
  }

  /**
   * Validates the authorization response for the expected state (RFC 6749 §4.1.2, RFC 9207).
   * An `error` response becomes OAUTH_ACCESS_DENIED or OAUTH_PROVIDER_ERROR.
   */
  validateCallback(parameters: URLSearchParams, expectedState: string): URLSearchParams {
    const params = new URLSearchParams(parameters);
    if (!this.#pattern.oauth_config.issuer) params.delete('iss');
    try {
      return oauth.validateAuthResponse(this.#as, this.#client, params, expectedState);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        const code = error.error === 'access_denied' ? 'OAUTH_ACCESS_DENIED' : 'OAUTH_PROVIDER_ERROR';
        throw new ToolproxyError(code, { details: { error: error.error }, cause: error });
      }
      // A mismatched `iss` or a malformed response: treat as a response we cannot trust.
      throw new ToolproxyError('OAUTH_STATE_INVALID', { details: { reason: (error as Error).message }, cause: error });
    }
  }

  /** RFC 6749 §4.1.3: the code for tokens, with the same redirect URI and the PKCE verifier. */
  async exchangeCode(callback: URLSearchParams, codeVerifier: string | null): Promise<TokenSet> {
    const requestedAt = this.#options.clock();
    const response = await this.#call(() =>
      oauth.authorizationCodeGrantRequest(
        this.#as,
        this.#client,
        this.#clientAuth(),
        callback,
        this.#registration.redirectUri,
        codeVerifier ?? oauth.nopkce,
        this.#requestOptions(),
      ),
    );
    const result = await this.#call(() => oauth.processAuthorizationCodeResponse(this.#as, this.#client, response, TOKEN_RESPONSE_OPTIONS));
    return this.#tokenSet(result, requestedAt, undefined);
  }

  /** RFC 6749 §6. A response without a refresh token keeps the old one (O14). */
  async refresh(previous: OAuthCredentials): Promise<TokenSet> {
    if (!previous.refresh_token) throw new ToolproxyError('ACCOUNT_EXPIRED', { message: 'The account has no refresh token; the user must authorize again.' });
    const requestedAt = this.#options.clock();
    const refreshToken = previous.refresh_token;
    const response = await this.#call(() =>
      oauth.refreshTokenGrantRequest(this.#as, this.#client, this.#clientAuth(), refreshToken, this.#requestOptions()),
    );
    const result = await this.#call(() => oauth.processRefreshTokenResponse(this.#as, this.#client, response, TOKEN_RESPONSE_OPTIONS));
    return this.#tokenSet(result, requestedAt, refreshToken);
  }

  /** RFC 7009, where the connector has a revocation endpoint. A 200 is success even for unknown tokens. */
  async revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<boolean> {
    if (!this.#as.revocation_endpoint) return false;
    const response = await this.#call(() =>
      oauth.revocationRequest(this.#as, this.#client, this.#clientAuth(), token, {
        ...this.#requestOptions(),
        additionalParameters: { token_type_hint: hint },
      }),
    );
    await this.#call(() => oauth.processRevocationResponse(response));
    return true;
  }

  #tokenSet(result: oauth.TokenEndpointResponse, requestedAt: number, previousRefreshToken: string | undefined): TokenSet {
    const refreshToken = result.refresh_token ?? previousRefreshToken;
    const expiresIn = typeof result.expires_in === 'number' && Number.isFinite(result.expires_in) ? result.expires_in : null;
    return {
      credentials: {
        access_token: result.access_token,
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
        token_type: result.token_type,
        obtained_at: requestedAt,
      },
      // Counted from when we sent the request, so clock drift in transit only shortens it.
      expiresAt: expiresIn === null ? null : requestedAt + expiresIn * 1000,
      scope: typeof result.scope === 'string' ? result.scope : this.#registration.scopes.join(' '),
    };
  }

  #clientAuth(): oauth.ClientAuth {
    const secret = this.#registration.clientSecret?.reveal() ?? '';
    switch (this.#registration.authMethod) {
      case 'client_secret_basic':
        return oauth.ClientSecretBasic(secret);
      case 'client_secret_post':
        return oauth.ClientSecretPost(secret);
      case 'none':
        return oauth.None();
    }
  }

  #requestOptions(): oauth.TokenEndpointRequestOptions {
    const insecureAllowed = isLoopbackHttp(endpointsOf(this.#pattern).tokenUri);
    return {
      signal: AbortSignal.timeout(this.#options.timeoutMs),
      headers: { accept: 'application/json' },
      [oauth.customFetch]: this.#fetch,
      // oauth4webapi refuses http: (RFC 9700 §2.6); loopback is the one exception (tests, dev).
      ...(insecureAllowed ? { [oauth.allowInsecureRequests]: true } : {}),
    };
  }

  /** O12: maps what the token endpoint says to what it means for the account. */
  async #call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw classifyTokenEndpointError(error);
    }
  }
}

export function classifyTokenEndpointError(error: unknown): ToolproxyError {
  if (error instanceof ToolproxyError) return error;
  if (error instanceof oauth.ResponseBodyError) {
    const details = { error: error.error, status: error.status };
    const code = standardTokenError(error.error);
    if (code === 'invalid_grant') return new ToolproxyError('ACCOUNT_EXPIRED', { details, cause: error });
    if (code === 'invalid_client' || code === 'unauthorized_client') {
      return new ToolproxyError('OAUTH_CLIENT_REJECTED', { details, cause: error });
    }
    if (error.status >= 500 || error.status === 429 || error.error === 'temporarily_unavailable') {
      return new ToolproxyError('OAUTH_PROVIDER_UNAVAILABLE', { details, cause: error });
    }
    return new ToolproxyError('OAUTH_PROVIDER_ERROR', { details, cause: error });
  }
  // Network errors, timeouts, 5xx without an OAuth body, HTML pages: transient (O12).
  return new ToolproxyError('OAUTH_PROVIDER_UNAVAILABLE', { details: { reason: (error as Error)?.name ?? 'error' }, cause: error });
}

/**
 * The endpoints of a saved connector. Saving fills them from the issuer's metadata when the
 * author left them out (connectors/oauth-discovery.ts), so a stored OAUTH pattern always has them.
 */
function endpointsOf(pattern: OAuthPattern): { authorizeUri: string; tokenUri: string } {
  const { authorize_uri: authorizeUri, token_uri: tokenUri } = pattern.oauth_config;
  if (!authorizeUri || !tokenUri) {
    throw new ToolproxyError('CONNECTOR_INVALID', { message: 'The connector has no authorize_uri or token_uri: save it again so they are discovered from its issuer.' });
  }
  return { authorizeUri, tokenUri };
}

export function isLoopbackHttp(uri: string): boolean {
  const url = new URL(uri);
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}
