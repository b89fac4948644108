import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ToolproxyError } from '../../errors.ts';
import { OPENAPI_MAX_BYTES } from '../../tools/openapi-import/limits.ts';
import type { OpenApiImporter } from '../../tools/openapi-import/openapi-importer.ts';
import { tooLarge } from '../../tools/openapi-import/read-document.ts';
import type { ToolsService } from '../../tools/tools-service.ts';
import { errorResponses } from '../schemas.ts';

const ConnectorParams = Type.Object({ identifier: Type.String({ maxLength: 200 }) });
const ToolParams = Type.Object({ identifier: Type.String({ maxLength: 200 }), name: Type.String({ maxLength: 200 }) });
const ToolResponse = Type.Object({ tool: Type.Ref('Tool') });
// The definition is checked by the tool schema itself, which reports every problem (TOOL_INVALID).
const definitionBody = { type: 'object', description: 'A tool definition; see docs/connectors.md#tools.' };
/** The document may be sent as JSON text inside the JSON body: some room for its escaping. */
const IMPORT_BODY_LIMIT = OPENAPI_MAX_BYTES + 1024 * 1024;

const ImportBody = Type.Object(
  {
    document: Type.Optional(Type.Union([Type.String(), Type.Object({}, { additionalProperties: true })], { description: 'The OpenAPI 3.0/3.1 or Swagger 2.0 document: JSON or YAML text, or the JSON itself.' })),
    url: Type.Optional(Type.String({ maxLength: 2048, description: 'Where to fetch the document (redirects are not followed; the egress policy applies).' })),
    include: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100, description: 'Globs on operationId, tags or "METHOD /path"; none: every operation.' })),
    dry_run: Type.Optional(Type.Boolean({ description: 'Only say what would be created or updated.' })),
    skip_validation: Type.Optional(Type.Boolean({ description: 'Import even if the document does not validate.' })),
  },
  { additionalProperties: false },
);

const ImportResult = Type.Object({
  dry_run: Type.Boolean(),
  connector: Type.String(),
  document: Type.Object({
    title: Type.String(),
    version: Type.String(),
    specification: Type.String(),
    operations: Type.Integer(),
    selected: Type.Integer(),
    path_prefix: Type.String({ description: 'Prepended to every operation path (the server base path proxy_url lacks).' }),
  }),
  tools: Type.Array(Type.Object({ name: Type.String(), method: Type.String(), path: Type.String(), action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('unchanged')]) })),
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  skipped: Type.Array(Type.Object({ operation: Type.String(), operation_id: Type.Optional(Type.String()), reason: Type.String() })),
  warnings: Type.Array(Type.Object({ tool: Type.String(), message: Type.String() })),
});

/** Custom tools on custom connectors (reference CreateTool/UpdateTool/DeleteTool), and OpenAPI import. */
export function customToolRoutes(app: FastifyInstance, services: { tools: ToolsService; importer: OpenApiImporter }): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['tools'];

  api.post(
    '/api/v1/custom-providers/:identifier/tools',
    { schema: { tags, summary: 'Add a tool to a custom connector', params: ConnectorParams, body: definitionBody, response: { 201: ToolResponse, ...errorResponses } } },
    async (request, reply) => reply.code(201).send({ tool: await services.tools.create(request.params.identifier, request.body) }),
  );

  api.put(
    '/api/v1/custom-providers/:identifier/tools/:name',
    {
      schema: { tags, summary: "Replace a custom tool's definition (send all of it; the name cannot change)", params: ToolParams, body: definitionBody, response: { 200: ToolResponse, ...errorResponses } },
    },
    async (request) => ({ tool: await services.tools.replace(request.params.identifier, request.params.name, request.body) }),
  );

  api.delete(
    '/api/v1/custom-providers/:identifier/tools/:name',
    { schema: { tags, summary: 'Delete a custom tool', params: ToolParams } },
    async (request, reply) => {
      await services.tools.delete(request.params.identifier, request.params.name);
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/v1/custom-providers/:identifier/tools/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      // The size is refused before a byte of the body is read (docs/tools.md#import).
      onRequest: async (request) => {
        const declared = Number(request.headers['content-length'] ?? NaN);
        if (declared > IMPORT_BODY_LIMIT) throw tooLarge(declared);
      },
      errorHandler: (error: FastifyError | ToolproxyError) => {
        throw (error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? tooLarge() : error;
      },
      schema: {
        tags,
        summary: 'Import tools from an OpenAPI 3.0/3.1 or Swagger 2.0 document into a custom connector (one per operation); dry_run shows what would change',
        params: ConnectorParams,
        body: ImportBody,
        response: { 200: ImportResult, ...errorResponses },
      },
    },
    async (request) =>
      services.importer.import(request.params.identifier, {
        document: request.body.document,
        url: request.body.url,
        include: request.body.include,
        dryRun: request.body.dry_run,
        skipValidation: request.body.skip_validation,
      }),
  );
}
