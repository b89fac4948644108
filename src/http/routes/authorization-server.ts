import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { consentCookieName } from '../../authorization-server/authorization-requests.ts';
import type { ClientCredentials } from '../../authorization-server/clients.ts';
import type { AuthorizationServer } from '../../authorization-server/create-authorization-server.ts';
import { authorizationServerMetadata, protectedResourceMetadata, rootProtectedResourceMetadata } from '../../authorization-server/metadata.ts';
import { invalidRequest, OAuthError } from '../../authorization-server/oauth-error.ts';
import { ToolproxyError } from '../../errors.ts';
import { toToolproxyError } from '../error-handler.ts';
import { messagePage } from '../pages/html.ts';
import { mcpConsentHeaders, mcpConsentPage } from '../pages/mcp-consent.ts';
import type { PageLook } from '../pages/theme.ts';
import { basicCredentials } from './token.ts';

interface Options {
  look: PageLook;
  secureCookies: boolean;
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
/** Discovery documents are public and read by browser-based clients too. */
const DISCOVERY = { 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=300' };

/**
 * The MCP authorization server's HTTP surface (src/authorization-server): discovery (RFC 8414,
 * RFC 9728), registration (RFC 7591), authorization with user verification and consent, token
 * and revocation (RFC 7009). OAuth errors use the RFC 6749 §5.2 shape plus our `code`.
 */
export function authorizationServerRoutes(app: FastifyInstance, as: AuthorizationServer, options: Options): void {
  const issuerPath = new URL(as.issuer).pathname.replace(/\/$/, '');
  const metadata = authorizationServerMetadata(as.issuer);
  const hidden = { schema: { hide: true } };

  // RFC 8414 §3.1: the well-known URI with the issuer's path (if any) appended after it.
  app.get(`/.well-known/oauth-authorization-server${issuerPath}`, hidden, async (_request, reply) => reply.headers(DISCOVERY).send(metadata));

  app.get('/.well-known/oauth-protected-resource', hidden, async (_request, reply) => reply.headers(DISCOVERY).send(rootProtectedResourceMetadata(as.issuer)));
  // RFC 9728 §3.1: `<resource path>` inserted after the well-known prefix.
  app.get<{ Params: { configId: string } }>(`/.well-known/oauth-protected-resource${issuerPath}/mcp/:configId`, hidden, async (request, reply) => {
    const config = await as.resources.configById(request.params.configId, () => new ToolproxyError('MCP_CONFIG_NOT_FOUND'));
    return reply.headers(DISCOVERY).send(protectedResourceMetadata(config, as.issuer));
  });

  app.post('/oauth2/register', hidden, async (request, reply) => {
    try {
      const registered = await as.clients.register(request.body);
      as.mcp.metrics.oauth('client_registered');
      return reply.code(201).headers(NO_STORE).send(registered);
    } catch (error) {
      return oauthFailure(reply, error);
    }
  });

  app.get('/oauth2/authorize', hidden, async (request, reply) => {
    const outcome = await as.requests.start(single(request.query));
    if (outcome.kind === 'error_page') {
      as.mcp.metrics.oauth('refused');
      request.log.info({ code: outcome.error.code }, 'mcp authorization refused');
      return page(reply, 400, 'Authorization failed', `${outcome.error.message} (${outcome.error.code})`, options.look);
    }
    if (outcome.cookie) {
      const { name, value, maxAgeSeconds } = outcome.cookie;
      const requestId = name.slice('tp_mcp_'.length);
      void reply.header('set-cookie', cookie(name, value, `Max-Age=${maxAgeSeconds}`, `${issuerPath}/oauth2/consent/${requestId}`, options.secureCookies));
    }
    return reply.code(302).headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).header('location', outcome.location).send();
  });

  app.get<{ Params: { id: string } }>('/oauth2/consent/:id', hidden, async (request, reply) => {
    try {
      const view = await as.requests.consent(request.params.id, cookiesOf(request));
      return reply.code(200).headers(mcpConsentHeaders(view, options.look)).send(mcpConsentPage(view, options.look));
    } catch (error) {
      return failurePage(reply, error, options.look);
    }
  });

  app.post<{ Params: { id: string } }>('/oauth2/consent/:id', hidden, async (request, reply) => {
    try {
      const decision = (request.body as Record<string, unknown> | undefined)?.decision;
      const { location, approved } = await as.requests.decide(request.params.id, cookiesOf(request), decision === 'allow');
      as.mcp.metrics.oauth(approved ? 'code_issued' : 'consent_denied');
      return reply
        .code(303)
        .headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
        .header('set-cookie', cookie(consentCookieName(request.params.id), '', 'Max-Age=0', `${issuerPath}/oauth2/consent/${request.params.id}`, options.secureCookies))
        .header('location', location)
        .send();
    } catch (error) {
      return failurePage(reply, error, options.look);
    }
  });

  app.post('/oauth2/token', hidden, async (request, reply) => {
    try {
      const params = formParams(request.body);
      return reply.headers(NO_STORE).send(await as.tokens.token(params, credentials(request, params)));
    } catch (error) {
      return oauthFailure(reply, error);
    }
  });

  app.post('/oauth2/revoke', hidden, async (request, reply) => {
    try {
      const params = formParams(request.body);
      await as.tokens.revoke(params, credentials(request, params));
      return reply.code(200).headers(NO_STORE).send();
    } catch (error) {
      return oauthFailure(reply, error);
    }
  });
}

/** RFC 6749 §3.2: parameters sent once each, as strings. */
function formParams(body: unknown): Record<string, string | undefined> {
  const params: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string') throw invalidRequest(`${name} must be sent once, as a form field.`);
    params[name] = value;
  }
  return params;
}

function single(query: unknown): Record<string, string | undefined> {
  const params: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    // A repeated parameter is ambiguous (RFC 6749 §3.1): treated as absent, so the request fails.
    params[name] = typeof value === 'string' ? value : undefined;
  }
  return params;
}

function credentials(request: FastifyRequest, params: Record<string, string | undefined>): ClientCredentials {
  const basic = basicCredentials(request.headers.authorization);
  if (basic) {
    if (params.client_id !== undefined && params.client_id !== basic.clientId) throw invalidRequest('client_id differs from the Authorization header.');
    return { clientId: basic.clientId, clientSecret: basic.clientSecret, via: 'basic' };
  }
  if (params.client_secret !== undefined) return { clientId: params.client_id, clientSecret: params.client_secret, via: 'post' };
  return { clientId: params.client_id, clientSecret: undefined, via: 'none' };
}

function oauthFailure(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof OAuthError)) {
    const mapped = toToolproxyError(error);
    if (mapped.statusCode >= 500) reply.log.error({ err: error }, 'mcp authorization server failed');
    return reply.code(mapped.statusCode).headers(NO_STORE).header('x-toolproxy-error', mapped.code).send(mapped.toBody());
  }
  reply.log.info({ code: error.code, error: error.error }, 'mcp oauth request refused');
  const status = error.error === 'invalid_client' ? 401 : 400;
  return reply.code(status).headers(NO_STORE).header('x-toolproxy-error', error.code).send(error.toOAuthBody());
}

function failurePage(reply: FastifyReply, error: unknown, look: PageLook): FastifyReply {
  const mapped = error instanceof ToolproxyError ? error : toToolproxyError(error);
  if (mapped.statusCode >= 500) reply.log.error({ err: error }, 'mcp consent failed');
  return page(reply, mapped.statusCode, 'Authorization could not be completed', mapped.expose ? `${mapped.message} (${mapped.code})` : 'Please try again later.', look, mapped.code);
}

function page(reply: FastifyReply, status: number, title: string, message: string, look: PageLook, code?: string): FastifyReply {
  if (code) void reply.header('x-toolproxy-error', code);
  return reply.code(status).headers(look.headers).send(messagePage(title, message, { tone: 'error', look }));
}

/** The browser binding of one authorization request, sent to its consent page only (SameSite=Lax: the app redirects there). */
function cookie(name: string, value: string, age: string, path: string, secure: boolean): string {
  return `${name}=${value}; ${age}; Path=${path}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

function cookiesOf(request: FastifyRequest): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return cookies;
}
