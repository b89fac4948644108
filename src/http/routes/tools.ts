import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ToolsService } from '../../tools/tools-service.ts';
import { AccountStatusSchema, errorResponses, PageQuery } from '../schemas.ts';

const Names = (maxItems: number, description: string) => Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems, description }));
const Text = (maxLength: number, description: string) => Type.Optional(Type.String({ maxLength, description }));

/** Each filter also under the reference's gateway name (`filter.tool_name`), so its REST calls work unchanged. */
function withFilterAliases<T extends Record<string, TSchema>>(filters: T): T & Record<`filter.${string}`, TSchema> {
  const aliases = Object.fromEntries(Object.entries(filters).map(([key, schema]) => [`filter.${key}`, schema]));
  return { ...filters, ...aliases } as T & Record<`filter.${string}`, TSchema>;
}

const ListFilters = {
  connector: Text(200, 'A connector id or identifier.'),
  provider: Names(50, 'Connector identifiers (case-insensitive).'),
  tool_name: Names(100, 'Exact tool names.'),
  query: Text(200, 'Text in the name, display name or description.'),
  summary: Type.Optional(Type.Boolean({ description: 'Only names: tool_names is filled, tools is empty.' })),
};
const IdentifierFilters = {
  connection_names: Names(20, 'Only these connections.'),
  providers: Names(50, 'Only these connectors (identifiers, case-insensitive).'),
  tool_names: Names(100, 'Only these tools.'),
};

const ScopedTool = Type.Object({
  tool: Type.Ref('Tool'),
  identifier: Type.String(),
  connection_name: Type.String(),
  connected_account_id: Type.String(),
});
const AvailableTool = Type.Object({
  tool: Type.Ref('Tool'),
  identifier: Type.String(),
  connection_name: Type.String(),
  connected_account_id: Type.Union([Type.String(), Type.Null()]),
  account_status: Type.Union([AccountStatusSchema, Type.Null()], { description: "The identifier's account on this connection; null when not connected yet." }),
});
const Paging = { total_size: Type.Integer({ description: 'Matches across every page.' }), next_page_token: Type.Union([Type.String(), Type.Null()]) };

type Query = Record<string, unknown>;
const pick = <T>(query: Query, key: string): T | undefined => (query[key] ?? query[`filter.${key}`]) as T | undefined;
const page = (query: { page_size?: number; page_token?: string }) => ({ pageSize: query.page_size ?? 50, pageToken: query.page_token ?? null });

/** Tool listings (reference ToolService: ListTools, ListScopedTools, ListAvailableTools) and one tool by name. */
export function toolRoutes(app: FastifyInstance, tools: ToolsService): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['tools'];

  api.get(
    '/api/v1/tools',
    {
      schema: {
        tags,
        summary: 'List tools: built-in and custom, filtered by connector, names or text; summary mode returns names only',
        querystring: Type.Object({ ...withFilterAliases(ListFilters), ...PageQuery }),
        response: { 200: Type.Object({ tools: Type.Array(Type.Ref('Tool')), tool_names: Type.Array(Type.String()), ...Paging }), ...errorResponses },
      },
    },
    async (request) => {
      const query = request.query as Query;
      const result = await tools.list(
        {
          connector: pick(query, 'connector'),
          providers: pick(query, 'provider'),
          names: pick(query, 'tool_name'),
          query: pick(query, 'query'),
          summary: pick(query, 'summary'),
        },
        page(request.query),
      );
      return { tools: result.items, tool_names: result.toolNames, total_size: result.totalSize, next_page_token: result.nextPageToken };
    },
  );

  const identifierQuery = Type.Object({ identifier: Type.String({ minLength: 1, maxLength: 255 }), ...withFilterAliases(IdentifierFilters), ...PageQuery });
  const identifierFilter = (query: Query) => ({
    ...(pick(query, 'connection_names') === undefined ? {} : { connectionNames: pick<string[]>(query, 'connection_names')! }),
    ...(pick(query, 'providers') === undefined ? {} : { providers: pick<string[]>(query, 'providers')! }),
    ...(pick(query, 'tool_names') === undefined ? {} : { names: pick<string[]>(query, 'tool_names')! }),
  });

  api.get(
    '/api/v1/tools/scoped',
    {
      schema: {
        tags,
        summary: "Tools the identifier can call now: those of its ACTIVE connected accounts' connections",
        querystring: identifierQuery,
        response: { 200: Type.Object({ tools: Type.Array(ScopedTool), ...Paging }), ...errorResponses },
      },
    },
    async (request) => {
      const result = await tools.listScoped(request.query.identifier, identifierFilter(request.query as Query), page(request.query));
      return { tools: result.items, total_size: result.totalSize, next_page_token: result.nextPageToken };
    },
  );

  api.get(
    '/api/v1/tools/available',
    {
      schema: {
        tags,
        summary: "Tools of every enabled connection, whether or not the identifier has connected; each with the identifier's account status",
        querystring: identifierQuery,
        response: { 200: Type.Object({ tools: Type.Array(AvailableTool), ...Paging }), ...errorResponses },
      },
    },
    async (request) => {
      const result = await tools.listAvailable(request.query.identifier, identifierFilter(request.query as Query), page(request.query));
      return { tools: result.items, total_size: result.totalSize, next_page_token: result.nextPageToken };
    },
  );

  api.get(
    '/api/v1/tools/:name',
    {
      schema: {
        tags,
        summary: 'Get a tool by name',
        params: Type.Object({ name: Type.String({ maxLength: 200 }) }),
        response: { 200: Type.Object({ tool: Type.Ref('Tool') }), ...errorResponses },
      },
    },
    async (request) => ({ tool: await tools.get(request.params.name) }),
  );
}
