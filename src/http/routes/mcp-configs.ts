import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { documented, McpConfigCreateBody, McpConfigUpdateBody } from '../../mcp/config-schema.ts';
import type { McpConfigsService } from '../../mcp/configs-service.ts';
import type { McpConnectedAccounts } from '../../mcp/connected-accounts.ts';
import { type McpSessionTokens, SESSION_TOKEN_DEFAULT_SECONDS, SESSION_TOKEN_MAX_SECONDS, SESSION_TOKEN_MIN_SECONDS } from '../../mcp/session-tokens.ts';
import { errorResponses, PageQuery, Timestamp } from '../schemas.ts';

const McpConfig = Type.Object({
  id: Type.String({ examples: ['mcp_Zk3…'] }),
  name: Type.String(),
  description: Type.String(),
  connection_tool_mappings: Type.Array(Type.Object({ connection_name: Type.String(), tools: Type.Array(Type.String()) })),
  user_verify_url: Type.Union([Type.String(), Type.Null()]),
  mcp_server_url: Type.String({ description: 'The Streamable HTTP URL an MCP client connects to; stable for the life of the config.' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});
const ConfigResponse = Type.Object({ mcp_config: McpConfig });
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const AccountStatus = Type.Union(
  ['ACTIVE', 'EXPIRED', 'PENDING_AUTH', 'PENDING_VERIFICATION', 'DISCONNECTED', 'NOT_CONNECTED', 'CONNECTION_NOT_FOUND'].map((s) => Type.Literal(s)),
);

/** MCP server configs (reference §6 "virtual MCP servers"), their session tokens and their users' accounts. */
export function mcpConfigRoutes(app: FastifyInstance, deps: { configs: McpConfigsService; sessionTokens: McpSessionTokens; accounts: McpConnectedAccounts }): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['mcp'];
  const { configs } = deps;

  // The body schemas document the API; the service validates them and reports every problem at
  // once (shape, duplicates, unknown connections). Fastify's Ajv would coerce the body first
  // (null to "", a string to an array), so it does not validate these two routes at all.
  const serviceValidates = () => () => true;
  api.post(
    '/api/v1/mcp/configs',
    { validatorCompiler: serviceValidates, schema: { tags, summary: 'Create an MCP server config', body: documented(McpConfigCreateBody), response: { 201: ConfigResponse, ...errorResponses } } },
    async (request, reply) => reply.code(201).send({ mcp_config: await configs.create(request.body) }),
  );

  api.get(
    '/api/v1/mcp/configs',
    {
      schema: {
        tags,
        summary: 'List MCP server configs',
        querystring: Type.Object(PageQuery),
        response: { 200: Type.Object({ mcp_configs: Type.Array(McpConfig), next_page_token: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => {
      const page = await configs.list({ pageSize: request.query.page_size ?? 50, pageToken: request.query.page_token ?? null });
      return { mcp_configs: page.items, next_page_token: page.nextPageToken };
    },
  );

  api.get(
    '/api/v1/mcp/configs/:id',
    { schema: { tags, summary: 'Get an MCP server config', params: IdParams, response: { 200: ConfigResponse, ...errorResponses } } },
    async (request) => ({ mcp_config: await configs.get(request.params.id) }),
  );

  api.patch(
    '/api/v1/mcp/configs/:id',
    {
      validatorCompiler: serviceValidates,
      schema: { tags, summary: 'Update an MCP server config (the fields sent; connected clients see tools/list_changed)', params: IdParams, body: documented(McpConfigUpdateBody), response: { 200: ConfigResponse, ...errorResponses } },
    },
    async (request) => ({ mcp_config: await configs.update(request.params.id, request.body) }),
  );

  api.delete(
    '/api/v1/mcp/configs/:id',
    { schema: { tags, summary: 'Delete an MCP server config: its tokens stop working and its OAuth grants are deleted', params: IdParams } },
    async (request, reply) => {
      await configs.delete(request.params.id);
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/v1/mcp/configs/:id/session_tokens',
    {
      schema: {
        tags,
        summary: 'Mint a session token for one of your users (reference create_session_token); an agent sends it as a bearer token',
        params: IdParams,
        body: Type.Object(
          {
            identifier: Type.String({ minLength: 1, maxLength: 255, description: "Your application's id for the end user." }),
            expiry_seconds: Type.Optional(
              Type.Integer({ minimum: SESSION_TOKEN_MIN_SECONDS, maximum: SESSION_TOKEN_MAX_SECONDS, default: SESSION_TOKEN_DEFAULT_SECONDS, description: 'Lifetime, 60 s to 24 h (default 1 h).' }),
            ),
            policy: Type.Optional(
              Type.Object({}, { additionalProperties: true, description: "The token's own policy (docs/policies.md), checked on every call it makes on top of the connection's and the account's: it can only narrow them." }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            session_token: Type.String({ description: 'Returned once; never stored. Treat it as a secret.' }),
            expires_at: Timestamp,
            identifier: Type.String(),
            mcp_server_url: Type.String(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const issued = await deps.sessionTokens.mint(request.params.id, request.body.identifier, request.body.expiry_seconds, request.body.policy);
      return reply.code(201).header('cache-control', 'no-store').send(issued);
    },
  );

  api.get(
    '/api/v1/mcp/configs/:id/connected_accounts',
    {
      schema: {
        tags,
        summary: "Where a user stands on each mapped connection (reference list_mcp_connected_accounts); with include_auth_link, a fresh link for each one not ACTIVE",
        params: IdParams,
        querystring: Type.Object({
          identifier: Type.String({ minLength: 1, maxLength: 255 }),
          include_auth_link: Type.Optional(Type.Boolean({ default: false })),
        }),
        response: {
          200: Type.Object({
            connected_accounts: Type.Array(
              Type.Object({
                connection_name: Type.String(),
                connector: Type.Union([Type.String(), Type.Null()]),
                status: AccountStatus,
                connected_account_id: Type.Union([Type.String(), Type.Null()]),
                authorization_link: Type.Union([Type.Object({ link: Type.String(), expiry: Timestamp }), Type.Null()]),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const accounts = await deps.accounts.list(request.params.id, request.query.identifier, request.query.include_auth_link === true);
      return reply.header('cache-control', 'no-store').send({ connected_accounts: accounts });
    },
  );
}
