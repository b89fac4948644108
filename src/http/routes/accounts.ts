import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../accounts/account-events.ts';
import type { AccountRef, AccountsService } from '../../accounts/accounts-service.ts';
import type { AuthorizationLinks } from '../../accounts/authorization-links.ts';
import type { OAuthFlow } from '../../accounts/oauth-flow.ts';
import { ToolproxyError } from '../../errors.ts';
import { AccountStatusSchema, AuthorizationDetails, errorResponses, PageQuery } from '../schemas.ts';

const AccountResponse = Type.Object({ connected_account: Type.Ref('ConnectedAccount') });
const ScopeText = (what: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: `The reference's ${what}: set at creation; when given, the account's must match.` }));
const Scope = { organization_id: ScopeText('organization id'), user_id: ScopeText('user id') };
const AccountKey = {
  connection_name: Type.String({ minLength: 1, maxLength: 100 }),
  identifier: Type.String({ minLength: 1, maxLength: 255, description: "Your application's id for the end user: no leading or trailing whitespace, no control characters." }),
  ...Scope,
};
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const KeyParams = Type.Object({ name: Type.String({ maxLength: 100 }), identifier: Type.String({ maxLength: 255 }) });
const ScopeQuery = Type.Object(Scope);
const CredentialsBody = Type.Object({ authorization_details: AuthorizationDetails }, { additionalProperties: false });
const AccountPage = Type.Object({
  connected_accounts: Type.Array(Type.Ref('ConnectedAccount')),
  next_page_token: Type.Union([Type.String(), Type.Null()]),
  total_size: Type.Integer({ description: 'How many accounts match, across all pages.' }),
});

const scopeOf = (query: Static<typeof ScopeQuery>) => ({ organizationId: query.organization_id, userId: query.user_id });
const actorOf = (request: FastifyRequest): Actor | undefined => (request.clientId ? { type: 'api_client', id: request.clientId } : undefined);

/** Connected accounts (reference §3.4) and authorization links (§3.5). */
export function accountRoutes(
  app: FastifyInstance,
  accounts: AccountsService,
  links: AuthorizationLinks,
  flow?: OAuthFlow,
  /** MCP OAuth authorization requests are verified by the same call (their ids start with `tpmar_`). */
  mcpVerify?: (authRequestId: string, identifier: string) => Promise<{ redirectUrl: string }>,
): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['connected accounts'];

  api.get(
    '/api/v1/connected_accounts',
    {
      schema: {
        tags,
        summary: 'List connected accounts (never with credentials)',
        querystring: Type.Object({
          connection_name: Type.Optional(Type.String({ maxLength: 100 })),
          connector: Type.Optional(Type.String({ maxLength: 200, description: 'Only accounts of connections on this connector (identifier or id).' })),
          identifier: Type.Optional(Type.String({ maxLength: 255 })),
          status: Type.Optional(AccountStatusSchema),
          ...Scope,
          ...PageQuery,
        }),
        response: { 200: AccountPage, ...errorResponses },
      },
    },
    async (request) => {
      const { connection_name, connector, identifier, status, page_size, page_token } = request.query;
      const page = await accounts.list(
        { connectionName: connection_name, connector, identifier, status: status as never, ...scopeOf(request.query) },
        { pageSize: page_size ?? 50, pageToken: page_token ?? null },
      );
      return { connected_accounts: page.items, next_page_token: page.nextPageToken, total_size: page.totalSize ?? page.items.length };
    },
  );

  api.get(
    '/api/v1/connected_accounts/search',
    {
      schema: {
        tags,
        summary: 'Search connected accounts: a case-insensitive substring of the identifier, connection name or connector',
        querystring: Type.Object({
          query: Type.String({ minLength: 3, maxLength: 200, description: 'At least 3 characters.' }),
          connection_name: Type.Optional(Type.String({ maxLength: 100 })),
          ...Scope,
          ...PageQuery,
        }),
        response: { 200: AccountPage, ...errorResponses },
      },
    },
    async (request) => {
      const { query, connection_name, page_size, page_token } = request.query;
      const page = await accounts.list({ query, connectionName: connection_name, ...scopeOf(request.query) }, { pageSize: page_size ?? 50, pageToken: page_token ?? null });
      return { connected_accounts: page.items, next_page_token: page.nextPageToken, total_size: page.totalSize ?? page.items.length };
    },
  );

  api.post(
    '/api/v1/connected_accounts',
    {
      schema: {
        tags,
        summary: 'Create a connected account; with authorization_details it is ACTIVE at once (bring your own credentials)',
        body: Type.Object({ ...AccountKey, authorization_details: Type.Optional(AuthorizationDetails) }, { additionalProperties: false }),
        response: { 201: AccountResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { connection_name, identifier, authorization_details } = request.body;
      const scope = scopeOf(request.body);
      if (authorization_details) {
        return reply.code(201).send({ connected_account: await accounts.create(connection_name, identifier, authorization_details.static_auth.details, scope, actorOf(request)) });
      }
      const { account, created } = await accounts.getOrCreate(connection_name, identifier, scope, actorOf(request));
      if (!created) {
        throw new ToolproxyError('ACCOUNT_EXISTS', { details: { connection_name, identifier } });
      }
      return reply.code(201).send({ connected_account: account });
    },
  );

  api.post(
    '/api/v1/connected_accounts/get_or_create',
    {
      schema: {
        tags,
        summary: 'Get the connected account for (connection_name, identifier), creating it PENDING_AUTH if absent (atomic)',
        body: Type.Object(AccountKey, { additionalProperties: false }),
        response: {
          200: Type.Object({ connected_account: Type.Ref('ConnectedAccount'), created: Type.Boolean() }),
          201: Type.Object({ connected_account: Type.Ref('ConnectedAccount'), created: Type.Boolean() }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { account, created } = await accounts.getOrCreate(request.body.connection_name, request.body.identifier, scopeOf(request.body), actorOf(request));
      return reply.code(created ? 201 : 200).send({ connected_account: account, created });
    },
  );

  api.post(
    '/api/v1/connected_accounts/magic_link',
    {
      schema: {
        tags,
        summary: "Create a single-use, expiring authorization link for the user (creates the account if needed; retires the account's earlier links)",
        body: Type.Object(
          {
            ...AccountKey,
            redirect_url: Type.Optional(Type.String({ maxLength: 2048, description: 'Send the browser here after success (origin must be allowed).' })),
            user_verify_url: Type.Optional(
              Type.String({ maxLength: 2048, description: 'OAUTH: after consent, send the browser here with auth_request_id; the account stays PENDING_VERIFICATION until you call /connected_accounts/user/verify.' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ link: Type.String(), expiry: Type.String({ format: 'date-time' }), connected_account: Type.Ref('ConnectedAccount') }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { connection_name, identifier, redirect_url, user_verify_url } = request.body;
      const { link, expiry, account } = await links.create(connection_name, identifier, { redirectUrl: redirect_url, userVerifyUrl: user_verify_url, ...scopeOf(request.body) }, actorOf(request));
      return { link, expiry, connected_account: account };
    },
  );

  if (flow) {
    api.post(
      '/api/v1/connected_accounts/user/verify',
      {
        schema: {
          tags,
          summary: 'Confirm which user authorized (reference §3.5): the account becomes ACTIVE; for an MCP client authorization (tpmar_…), the user goes on to its consent page',
          body: Type.Object(
            { auth_request_id: Type.String({ minLength: 1, maxLength: 200 }), identifier: Type.String({ minLength: 1, maxLength: 255 }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              connected_account: Type.Optional(Type.Ref('ConnectedAccount')),
              post_user_verify_redirect_url: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errorResponses,
            403: Type.Ref('ErrorBody'),
          },
        },
      },
      async (request) => {
        if (mcpVerify && request.body.auth_request_id.startsWith('tpmar_')) {
          return { post_user_verify_redirect_url: (await mcpVerify(request.body.auth_request_id, request.body.identifier)).redirectUrl };
        }
        const { account, redirectUrl } = await flow.verifyUser(request.body.auth_request_id, request.body.identifier);
        return { connected_account: account, post_user_verify_redirect_url: redirectUrl };
      },
    );
  }

  type Params = Record<string, string>;
  const byId = (params: Params): AccountRef => ({ id: params.id as string });
  const byKey = (params: Params): AccountRef => ({ connectionName: params.name as string, identifier: params.identifier as string });
  const routesFor = (url: string, params: TSchema, refOf: (params: Params) => AccountRef) => {
    const ref = (request: FastifyRequest): AccountRef => ({ ...refOf(request.params as Params), ...scopeOf(request.query as Static<typeof ScopeQuery>) });
    const get = { schema: { tags, summary: 'Get a connected account', params, querystring: ScopeQuery, response: { 200: AccountResponse, ...errorResponses } } };
    app.get(url, get, async (request) => ({ connected_account: await accounts.get(ref(request)) }));
    const patch = {
      schema: { tags, summary: 'Replace the credentials of a connected account (a DISCONNECTED one is connected again)', params, querystring: ScopeQuery, body: CredentialsBody, response: { 200: AccountResponse, ...errorResponses } },
    };
    app.patch(url, patch, async (request) => {
      const body = request.body as Static<typeof CredentialsBody>;
      return { connected_account: await accounts.updateCredentials(ref(request), body.authorization_details.static_auth.details, actorOf(request)) };
    });
    app.delete(url, { schema: { tags, summary: 'Delete a connected account (its OAuth grant is revoked)', params, querystring: ScopeQuery } }, async (request, reply) => {
      await accounts.delete(ref(request), actorOf(request));
      return reply.code(204).send();
    });
    const disconnect = {
      schema: {
        tags,
        summary: 'Disconnect a connected account: its credentials are deleted and its OAuth grant revoked; the account stays, DISCONNECTED, until a new authorization link connects it',
        params,
        querystring: ScopeQuery,
        response: { 200: AccountResponse, ...errorResponses },
      },
    };
    app.post(`${url}/disconnect`, disconnect, async (request) => ({ connected_account: await accounts.disconnect(ref(request), actorOf(request)) }));
  };
  routesFor('/api/v1/connected_accounts/:id', IdParams, byId);
  routesFor('/api/v1/connections/:name/connected_accounts/:identifier', KeyParams, byKey);
}
