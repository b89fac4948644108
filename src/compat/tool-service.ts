import { type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { JsonObject } from '@bufbuild/protobuf';
import type { Actor } from '../actor.ts';
import { ToolproxyError } from '../errors.ts';
import { upstreamError } from '../tools/tool-errors.ts';
import type { ToolExecutor, ToolResult } from '../tools/tool-executor.ts';
import { toolTarget } from '../tools/tool-target.ts';
import type { ToolView } from '../tools/tool-views.ts';
import type { ToolsService } from '../tools/tools-service.ts';
import { API_CLIENT } from './connected-account-service.ts';
import type { ToolService } from './descriptors.ts';
import { given, pageSize } from './request-fields.ts';

export interface ToolServiceDeps {
  tools: ToolsService;
  executor: ToolExecutor;
}

/**
 * `scalekit.v1.tools.ToolService` (wire notes §5.3) over the same services as the REST API:
 * ExecuteTool runs through the tool executor (and so the one proxy pipeline), the listings and
 * custom-tool writes through the tools service. An upstream failure is a gRPC error whose
 * ErrorInfo says `TOOL_ERROR` with a `tool_error_info` (grpc-errors.ts), which the SDK turns into
 * its typed tool exceptions and never retries. SetToolDefault (tool versions) is not offered.
 */
export function toolService(deps: ToolServiceDeps): Partial<ServiceImpl<typeof ToolService>> {
  const { tools, executor } = deps;
  const page = (req: { pageSize: number; pageToken: string }) => ({ pageSize: pageSize(req.pageSize, 100, 50), pageToken: given(req.pageToken) ? req.pageToken : null });

  return {
    async executeTool(req, ctx) {
      const target = toolTarget({
        connected_account_id: req.connectedAccountId,
        connector: req.connector,
        identifier: req.identifier,
        organization_id: req.organizationId,
        user_id: req.userId,
      });
      const result = await executor.execute({ toolName: req.toolName, params: req.params, target, door: 'tool', actor: actorOf(ctx), signal: ctx.signal });
      if (!result.ok) throw upstreamError(result);
      return { data: structOf(result), executionId: result.executionId };
    },

    // Tool definitions are the same for every user: the filter's identifier, organization, user
    // and account narrow nothing here (ListScopedTools is the per-user list).
    async listTools(req) {
      const filter = req.filter;
      const listed = await tools.list(
        {
          ...(given(filter?.connector) ? { connector: filter.connector } : {}),
          ...(given(filter?.provider) ? { providers: [filter.provider] } : {}),
          ...(filter && filter.toolName.length > 0 ? { names: filter.toolName } : {}),
          ...(given(filter?.query) ? { query: filter.query } : {}),
          ...(filter?.summary ? { summary: true } : {}),
        },
        page(req),
      );
      return { tools: listed.items.map(toTool), toolNames: listed.toolNames, totalSize: listed.totalSize, nextPageToken: listed.nextPageToken ?? '', prevPageToken: '' };
    },

    async listScopedTools(req) {
      const filter = req.filter;
      const listed = await tools.listScoped(
        req.identifier,
        {
          ...(filter && filter.connectionNames.length > 0 ? { connectionNames: filter.connectionNames } : {}),
          ...(filter && filter.providers.length > 0 ? { providers: filter.providers } : {}),
          ...(filter && filter.toolNames.length > 0 ? { names: filter.toolNames } : {}),
        },
        page(req),
      );
      return {
        tools: listed.items.map((item) => ({ tool: toTool(item.tool), identifier: item.identifier, connectedAccountId: item.connected_account_id })),
        totalSize: listed.totalSize,
        nextPageToken: listed.nextPageToken ?? '',
        prevPageToken: '',
      };
    },

    async listAvailableTools(req) {
      const listed = await tools.listAvailable(req.identifier, {}, page(req));
      return { tools: listed.items.map((item) => toTool(item.tool)), totalSize: listed.totalSize, nextPageToken: listed.nextPageToken ?? '', prevPageToken: '' };
    },

    async createTool(req) {
      const tool = requiredTool(req.tool);
      return { tool: toTool(await tools.create(tool.provider, definitionOf(tool))) };
    },

    async updateTool(req) {
      const tool = requiredTool(req.tool);
      const name = given(tool.id) ? (await tools.nameOf(tool.id)).name : String(tool.definition?.['name'] ?? '');
      return { tool: toTool(await tools.replace(tool.provider, name, definitionOf(tool))) };
    },

    async deleteTool(req) {
      const { name, provider } = await tools.nameOf(req.id);
      await tools.delete(provider, name);
      return {};
    },
  };
}

function actorOf(ctx: HandlerContext): Actor | null {
  const id = ctx.values.get(API_CLIENT);
  return id === undefined ? null : { type: 'api_client', id };
}

/**
 * ExecuteToolResponse.data is a Struct: an object answer goes as it is; anything else (a list, a
 * text, nothing) and a cut answer go under `result`, with `truncated` and `truncation_note`.
 */
function structOf(result: ToolResult): JsonObject {
  const { data } = result;
  if (!result.truncated && data !== null && typeof data === 'object' && !Array.isArray(data)) return data as JsonObject;
  return { result: (data ?? null) as JsonObject[string], ...(result.truncated ? { truncated: true, truncation_note: result.note ?? 'toolproxy cut this answer.' } : {}) };
}

/** Our tool view in the reference's Tool message (tool-views.ts keeps the same members). */
function toTool(view: ToolView) {
  return {
    id: view.id,
    provider: view.provider,
    definition: json(view.definition),
    metadata: json(view.metadata),
    tags: view.tags,
    isDefault: view.is_default,
    updatedAt: timestampFromMs(Date.parse(view.updated_at)),
  };
}

interface ToolMessage {
  id: string;
  provider: string;
  definition?: JsonObject | undefined;
  metadata?: JsonObject | undefined;
  tags: string[];
}

function requiredTool(tool: ToolMessage | undefined): ToolMessage {
  const problems = [];
  if (tool === undefined) problems.push({ path: '/tool', message: 'send the tool' });
  else {
    if (!given(tool.provider)) problems.push({ path: '/tool/provider', message: 'send the custom connector (its identifier) the tool belongs to' });
    if (tool.definition === undefined) problems.push({ path: '/tool/definition', message: 'send the tool definition' });
  }
  if (problems.length > 0) throw new ToolproxyError('VALIDATION_FAILED', { details: { problems } });
  return tool!;
}

/** A Tool message as our definition: the definition members, with the request template and output projection from metadata (as tool-views.ts splits them). */
function definitionOf(tool: ToolMessage): Record<string, unknown> {
  const metadata = tool.metadata ?? {};
  return {
    ...tool.definition,
    ...(metadata['request'] === undefined ? {} : { request: metadata['request'] }),
    ...(metadata['output'] === undefined ? {} : { output: metadata['output'] }),
    ...(tool.tags.length > 0 ? { tags: tool.tags } : {}),
  };
}

/** A Struct holds JSON only: undefined members are left out. */
function json(value: object): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}
