import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LinkContext } from '../../accounts/authorization-links.ts';
import type { OAuthFlow } from '../../accounts/oauth-flow.ts';
import { ToolproxyError } from '../../errors.ts';
import { toToolproxyError } from '../error-handler.ts';
import { messagePage } from '../pages/html.ts';
import type { PageLook } from '../pages/theme.ts';

/** What each OAuth failure tells the user; the stable code is on the page and in the header. */
const FAILURES: Partial<Record<string, [string, string]>> = {
  OAUTH_STATE_INVALID: ['Authorization could not be completed', 'This response does not match an authorization started in this browser, or it was already used or has expired. Open the authorization link again.'],
  OAUTH_ACCESS_DENIED: ['Access not granted', 'Access was not granted at the provider. Open the authorization link again if you want to connect.'],
  OAUTH_PROVIDER_ERROR: ['The provider returned an error', 'The provider could not complete the authorization. Try again later or contact the application.'],
  OAUTH_CLIENT_REJECTED: ['The provider refused this application', "The application's OAuth settings were refused by the provider. Contact the application."],
  OAUTH_PROVIDER_UNAVAILABLE: ['The provider is unavailable', 'The provider could not be reached. Open the authorization link again in a moment.'],
  LINK_USED: ['Link already used', 'This authorization link has already been used. Ask the application for a new one.'],
  LINK_EXPIRED: ['Link expired', 'This authorization link has expired. Ask the application for a new one.'],
  LINK_SUPERSEDED: ['Link replaced', 'A newer authorization link was issued for this account, so this one no longer works. Use the newest link, or ask the application for a new one.'],
};

interface FlowOptions {
  look: PageLook;
  /** Cookies get `Secure` when the public URL is https. */
  secureCookies: boolean;
}

/** Sends the browser to the provider, binding the flow to it with an HttpOnly cookie (O2). */
export async function beginOAuth(reply: FastifyReply, flow: OAuthFlow, link: LinkContext, fields: Record<string, unknown>, options: FlowOptions): Promise<FastifyReply> {
  const { location, cookie } = await flow.start(link, fields);
  // SameSite=Lax: sent on the provider's top-level redirect back to us, not on cross-site subrequests.
  const attributes = [`Max-Age=${cookie.maxAgeSeconds}`, 'Path=/oauth/callback', 'HttpOnly', 'SameSite=Lax', ...(options.secureCookies ? ['Secure'] : [])];
  return reply
    .code(303)
    .headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
    .header('set-cookie', `${cookie.name}=${cookie.value}; ${attributes.join('; ')}`)
    .header('location', location)
    .send();
}

/** `GET /oauth/callback/{connection}`: the redirect URI registered at the provider. */
export function oauthRoutes(app: FastifyInstance, flow: OAuthFlow, options: FlowOptions): void {
  app.get<{ Params: { connection: string } }>('/oauth/callback/:connection', { schema: { hide: true } }, async (request, reply) => {
    const query = new URLSearchParams((request.raw.url ?? '').split('?')[1] ?? '');
    try {
      const result = await flow.callback(request.params.connection, query, parseCookies(request));
      request.log.info({ account: result.account.id, connection: result.account.connection_name, status: result.account.status }, 'oauth authorization completed');
      void reply.header('set-cookie', `${result.cookieName}=; Max-Age=0; Path=/oauth/callback; HttpOnly; SameSite=Lax${options.secureCookies ? '; Secure' : ''}`);
      if (result.redirect) return reply.code(303).headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).header('location', result.redirect).send();
      return reply
        .code(200)
        .headers(options.look.headers)
        .send(messagePage('Connected', 'Your account is connected. You can close this window and return to the application.', { tone: 'success', look: options.look }));
    } catch (error) {
      const mapped = error instanceof ToolproxyError ? error : toToolproxyError(error);
      if (mapped.statusCode >= 500) request.log.error({ err: error, code: mapped.code }, 'oauth callback failed');
      else request.log.info({ code: mapped.code, details: mapped.details }, 'oauth callback refused');
      const [title, message] = FAILURES[mapped.code] ?? ['Something went wrong', 'Please try again later.'];
      return reply
        .code(mapped.statusCode)
        .headers(options.look.headers)
        .header('x-toolproxy-error', mapped.code)
        .send(messagePage(title, `${message} (${mapped.code})`, { tone: 'error', look: options.look }));
    }
  });
}

function parseCookies(request: FastifyRequest): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return cookies;
}
