import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type ClientMetadata } from 'oidc-provider';

/**
 * A real OAuth 2.0 authorization server in-process (node-oidc-provider), configured as the
 * security checklist §7.1 describes: PKCE required, refresh-token rotation (reuse revokes the
 * grant), short access tokens, revocation on, both client authentication methods. Login and
 * consent are answered headlessly; `deny` makes the next consent an access_denied.
 */
export interface OAuthProviderHarness {
  issuer: string;
  provider: Provider;
  /** Every successful token grant, in order: grant type and how the client authenticated. */
  grants: Array<{ grantType: string; clientId: string; auth: 'basic' | 'post' | 'none' }>;
  /** Token endpoint errors, in order. */
  grantErrors: string[];
  refreshCount(): number;
  /** Makes the next interaction deny access. */
  denyNext(): void;
  /** While set, the token endpoint answers with this status and no OAuth body (an outage). */
  tokenEndpointStatus: number | undefined;
  /** While set, the revocation endpoint (RFC 7009) answers with this status and no body. */
  revocationEndpointStatus: number | undefined;
  /** Requests that reached the revocation endpoint, answered or not. */
  revocationRequests: number;
  close(): Promise<void>;
}

export const API_SCOPES = 'customers:read customers:write';
export const BASIC_CLIENT = { id: 'tp-basic', secret: 'basic:secret&with%odd+chars=/~' };
export const POST_CLIENT = { id: 'tp-post', secret: 'post-secret-0123456789abcdef' };

export async function startOAuthProvider(options: { redirectUris: string[]; apiOrigin: string; accessTokenTtl?: number }): Promise<OAuthProviderHarness> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ttl = options.accessTokenTtl ?? 3600;
  let deny = false;

  const client = (id: string, secret: string, method: 'client_secret_basic' | 'client_secret_post'): ClientMetadata => ({
    client_id: id,
    client_secret: secret,
    token_endpoint_auth_method: method,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code' as const],
    redirect_uris: options.redirectUris,
  });

  const provider = new Provider(issuer, {
    clients: [client(BASIC_CLIENT.id, BASIC_CLIENT.secret, 'client_secret_basic'), client(POST_CLIENT.id, POST_CLIENT.secret, 'client_secret_post')],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, c) => c.grantTypeAllowed('refresh_token'),
    ttl: { AccessToken: ttl, AuthorizationCode: 60, Grant: 3600, Interaction: 600, RefreshToken: 3600, Session: 3600 },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.apiOrigin,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: API_SCOPES, accessTokenFormat: 'opaque', accessTokenTTL: ttl }),
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    cookies: { keys: ['toolproxy-test-cookie-key'] },
  });

  const grants: OAuthProviderHarness['grants'] = [];
  const grantErrors: string[] = [];
  provider.on('grant.success', (ctx) => {
    const params = ctx.oidc.params as Record<string, unknown>;
    const auth = /^basic /i.test(ctx.headers.authorization ?? '') ? 'basic' : params.client_secret ? 'post' : 'none';
    grants.push({ grantType: String(params.grant_type), clientId: String(ctx.oidc.client?.clientId), auth });
  });
  provider.on('grant.error', (_ctx, error) => grantErrors.push((error as { error?: string }).error ?? String(error)));

  const harness = { tokenEndpointStatus: undefined as number | undefined, revocationEndpointStatus: undefined as number | undefined, revocationRequests: 0 };
  provider.use(async (ctx, next) => {
    if (ctx.path === '/token/revocation') {
      harness.revocationRequests++;
      if (harness.revocationEndpointStatus !== undefined) {
        ctx.status = harness.revocationEndpointStatus;
        ctx.body = '';
        return;
      }
    }
    if (ctx.path === '/token' && harness.tokenEndpointStatus !== undefined) {
      ctx.status = harness.tokenEndpointStatus;
      ctx.body = '<html>upstream outage</html>';
      return;
    }
    return next();
  });

  // Headless login and consent.
  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/interaction/')) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (deny) {
      deny = false;
      return provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'The user said no <script>alert(1)</script>' });
    }
    if (details.prompt.name === 'login') {
      return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: 'end-user-1' } }, { mergeWithLastSubmission: false });
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(' '));
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant!.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant!.save();
    return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  server.on('request', provider.callback());
  return Object.assign(harness, {
    issuer,
    provider,
    grants,
    grantErrors,
    refreshCount: () => grants.filter((g) => g.grantType === 'refresh_token').length,
    denyNext: () => {
      deny = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/**
 * An upstream API protected by the provider's access tokens: 200 with the token's subject and
 * scope for a valid token, 401 otherwise (RFC 6750 §3.1).
 */
export interface ProtectedApi {
  url: string;
  port: number;
  calls: number;
  tokensSeen: Set<string>;
  /** Answer 401 to everything (an upstream that keeps refusing). */
  rejectAll: boolean;
  /** Request bodies received, in order. */
  bodies: string[];
  close(): Promise<void>;
}

export async function startProtectedApi(getProvider: () => Provider | undefined): Promise<ProtectedApi> {
  const state = { calls: 0, tokensSeen: new Set<string>(), rejectAll: false, bodies: [] as string[] };
  const server = http.createServer(async (req, res) => {
    state.calls++;
    let body = '';
    for await (const chunk of req) body += chunk;
    state.bodies.push(body);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const provider = getProvider();
    const found = token && provider && !state.rejectAll ? await provider.AccessToken.find(token) : undefined;
    if (!token || !found || found.isExpired) {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
    state.tokensSeen.add(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: [{ id: 'cus_1' }], sub: found.accountId, scope: found.scope, path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get calls() {
      return state.calls;
    },
    get rejectAll() {
      return state.rejectAll;
    },
    set rejectAll(value: boolean) {
      state.rejectAll = value;
    },
    tokensSeen: state.tokensSeen,
    bodies: state.bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A tiny browser: follows redirects by hand, keeping cookies per origin, until `stopAt` matches. */
export class TestBrowser {
  readonly #cookies = new Map<string, Map<string, string>>();

  /**
   * Follows redirects from `url` until one points where `stopAt` says (returned, not fetched), or
   * a response is not a redirect (then `response` is set).
   */
  async navigate(url: string, stopAt: (url: URL) => boolean, init: RequestInit = {}): Promise<{ url: URL; response?: Response }> {
    let current = new URL(url);
    let request: RequestInit = init;
    for (let hop = 0; hop < 20; hop++) {
      const response = await this.fetch(current, request);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url: current, response };
      await response.arrayBuffer();
      current = new URL(location, current);
      request = {};
      if (stopAt(current)) return { url: current };
    }
    throw new Error('too many redirects');
  }

  async fetch(url: URL, init: RequestInit = {}): Promise<Response> {
    const jar = this.#cookies.get(url.origin) ?? new Map<string, string>();
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.#cookies.set(url.origin, jar);
    return response;
  }

  clearCookies(origin: string): void {
    this.#cookies.delete(origin);
  }
}

/** An OAUTH connector definition pointing at `issuer` for endpoints and `proxyUrl` for calls. */
export function oauthConnectorDefinition(
  issuer: string,
  proxyUrl: string,
  options: { displayName?: string; pkce?: boolean; revoke?: boolean } = {},
): Record<string, unknown> {
  return {
    display_name: options.displayName ?? 'Provider API',
    proxy_url: proxyUrl,
    proxy_enabled: true,
    auth_patterns: [
      {
        type: 'OAUTH',
        display_name: 'OAuth 2.0',
        fields: [],
        oauth_config: {
          authorize_uri: `${issuer}/auth`,
          token_uri: `${issuer}/token`,
          ...(options.revoke ? { revoke_uri: `${issuer}/token/revocation` } : {}),
          issuer,
          available_scopes: [{ scope: 'customers:read', required: true }],
          pkce_enabled: options.pkce ?? true,
        },
      },
    ],
  };
}
