import type { FastifyInstance, FastifyReply } from 'fastify';
import { configFieldNames } from '../../accounts/account-values.ts';
import type { AuthorizationLinks, LinkContext } from '../../accounts/authorization-links.ts';
import { type Problem, ToolproxyError } from '../../errors.ts';
import { toToolproxyError } from '../error-handler.ts';
import { credentialFormPage } from '../pages/credential-form.ts';
import { messagePage } from '../pages/html.ts';
import { defaultPageLook, type PageLook } from '../pages/theme.ts';
import type { OAuthFlow } from '../../accounts/oauth-flow.ts';
import { beginOAuth } from './oauth.ts';

interface TokenParams {
  token: string;
}

/** The hosted authorization page behind an authorization link. Public: the link token is the capability. */
export function hostedRoutes(
  app: FastifyInstance,
  links: AuthorizationLinks,
  look: PageLook = defaultPageLook(),
  oauth?: { flow: OAuthFlow; secureCookies: boolean },
): void {
  // OAUTH: straight to the provider, or first a form for the pattern's account_fields.
  const isOAuth = (context: LinkContext) => context.connection.connector.pattern.type === 'OAUTH';
  const needsAccountFields = (context: LinkContext) => accountFieldsOf(context).length > 0;
  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).headers(look.headers).send(body);
  const errorPage = (reply: FastifyReply, error: unknown) => failurePage(reply, error, look);
  app.get<{ Params: TokenParams }>('/connect/:token', { schema: { hide: true } }, async (request, reply) => {
    try {
      const context = await links.open(request.params.token);
      if (oauth && isOAuth(context) && !needsAccountFields(context)) {
        return await beginOAuth(reply, oauth.flow, context, {}, { look, secureCookies: oauth.secureCookies });
      }
      return html(reply, 200, formFor(look, context));
    } catch (error) {
      return errorPage(reply, error);
    }
  });

  app.post<{ Params: TokenParams; Body: Record<string, unknown> }>('/connect/:token', { schema: { hide: true } }, async (request, reply) => {
    const values = flatten(request.body);
    try {
      const context = await links.open(request.params.token);
      if (oauth && isOAuth(context)) return await beginOAuth(reply, oauth.flow, context, values, { look, secureCookies: oauth.secureCookies });
      const { account, redirectUrl } = await links.submit(request.params.token, values);
      request.log.info({ account: account.id, connection: account.connection_name }, 'account authorized');
      if (redirectUrl) return reply.code(303).headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).header('location', redirectUrl).send();
      return html(reply, 200, messagePage('Connected', `Your account is connected. You can close this window and return to the application.`, { tone: 'success', look }));
    } catch (error) {
      const mapped = toToolproxyError(error);
      if (mapped.code !== 'INVALID_FIELD' && mapped.code !== 'VERIFICATION_FAILED' && !mapped.code.startsWith('UPSTREAM_')) {
        return errorPage(reply, error);
      }
      // Show the form again, with what was wrong; secrets are never echoed back.
      const context = await links.open(request.params.token).catch(() => undefined);
      if (!context) return errorPage(reply, error);
      const problems = ((mapped.details as { problems?: Problem[] } | undefined)?.problems ?? []);
      return html(reply, 422, formFor(look, context, { values: textValues(context, values), problems, formError: problems.length ? undefined : mapped.message }));
    }
  });
}

/** The fields the hosted form asks for: `fields`, or an OAUTH pattern's `account_fields`. */
function accountFieldsOf(context: LinkContext) {
  const { pattern } = context.connection.connector;
  return pattern.type === 'OAUTH' ? pattern.account_fields : pattern.fields;
}

function formFor(look: PageLook, context: LinkContext, extra: { values?: Record<string, string>; problems?: Problem[]; formError?: string | undefined } = {}): string {
  const { definition, pattern } = context.connection.connector;
  return credentialFormPage({
    look,
    connectorName: definition.display_name,
    pattern: { ...pattern, fields: accountFieldsOf(context) } as typeof pattern,
    configFields: configFieldNames(definition, pattern),
    ...(extra.values ? { values: extra.values } : {}),
    ...(extra.problems ? { problems: extra.problems } : {}),
    ...(extra.formError ? { formError: extra.formError } : {}),
  });
}

function textValues(context: LinkContext, values: Record<string, string>): Record<string, string> {
  const visible: Record<string, string> = {};
  for (const field of accountFieldsOf(context)) {
    const value = values[field.field_name];
    if (field.input_type !== 'password' && value !== undefined) visible[field.field_name] = value;
  }
  return visible;
}

function flatten(body: Record<string, unknown> | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(body ?? {})) {
    values[name] = Array.isArray(value) ? String(value[0] ?? '') : String(value ?? '');
  }
  return values;
}

const LINK_PAGES: Partial<Record<string, [string, string]>> = {
  LINK_INVALID: ['Link not valid', 'This authorization link is not valid. Ask the application for a new one.'],
  LINK_EXPIRED: ['Link expired', 'This authorization link has expired. Ask the application for a new one.'],
  LINK_USED: ['Link already used', 'This authorization link has already been used. Ask the application for a new one if you need to connect again.'],
  LINK_SUPERSEDED: ['Link replaced', 'A newer authorization link was issued for this account, so this one no longer works. Use the newest link, or ask the application for a new one.'],
};

function failurePage(reply: FastifyReply, error: unknown, look: PageLook): FastifyReply {
  const mapped = error instanceof ToolproxyError ? error : toToolproxyError(error);
  if (mapped.statusCode >= 500) reply.log.error({ err: error }, 'hosted page failed');
  const [title, message] = LINK_PAGES[mapped.code] ?? ['Something went wrong', mapped.expose ? mapped.message : 'Please try again later.'];
  return reply.code(mapped.statusCode).headers(look.headers).send(messagePage(title, message, { tone: 'error', look }));
}
