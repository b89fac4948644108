import type { ChangeFeed } from '../changes.ts';
import { isToolproxyError, type Problem, type ToolproxyError } from '../errors.ts';
import type { AccountStatus } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { ToolExecutor, ToolResult } from '../tools/tool-executor.ts';
import type { ToolView } from '../tools/tool-views.ts';
import type { LoadedTool, ToolsService } from '../tools/tools-service.ts';
import type { McpToolMapping } from './config-schema.ts';
import type { JsonSchemaObject, McpScope, McpToolProvider, McpToolView, ToolOutcome } from './tool-provider.ts';

/** Tools one `tools/list` returns at most (20 pages of the scoped listing). */
const MAX_LISTED = 2000;
const PAGE = 100;
const NOT_AUTHORIZED = new Set(['ACCOUNT_NOT_ACTIVE', 'ACCOUNT_EXPIRED', 'ACCOUNT_DISCONNECTED', 'ACCOUNT_NOT_FOUND', 'TOOL_UNAUTHORIZED']);

/**
 * The tools MCP serves (issue 13), over the tools service and the tool executor: `list` is the
 * scoped listing of the identifier's ACTIVE accounts narrowed by the config's mappings, and
 * `call` runs the tool with the identifier's account on the mapped connection of the tool's
 * connector, through the same executor (and so the same proxy pipeline) as execute_tool, with
 * door `mcp` and the MCP client as the actor. A scope never names an account: only
 * (mapped connection, scope.identifier), so a token of one identifier cannot reach another's.
 */
export class ExecutorToolProvider implements McpToolProvider {
  readonly #tools: ToolsService;
  readonly #executor: ToolExecutor;
  readonly #store: Store;
  /** Connection name → its connector id (null: no such connection); dropped on any config change. */
  readonly #connectors = new Map<string, Promise<string | null>>();

  constructor(deps: { tools: ToolsService; executor: ToolExecutor; store: Store; changes: ChangeFeed }) {
    this.#tools = deps.tools;
    this.#executor = deps.executor;
    this.#store = deps.store;
    deps.changes.onConfigChanged(() => this.#connectors.clear());
  }

  async list(scope: McpScope, signal: AbortSignal): Promise<McpToolView[]> {
    const connectionNames = scope.mappings.map((mapping) => mapping.connectionName);
    if (connectionNames.length === 0) return [];
    // A tool of a connector mapped through two connections is listed once, on the connection `call` uses: the first mapping that permits it.
    const found = new Map<string, { tool: ToolView; connections: Set<string> }>();
    let pageToken: string | null = null;
    do {
      signal.throwIfAborted();
      const page = await this.#tools.listScoped(scope.identifier, { connectionNames }, { pageSize: PAGE, pageToken });
      for (const item of page.items) {
        const name = item.tool.definition.name;
        const entry = found.get(name) ?? { tool: item.tool, connections: new Set<string>() };
        entry.connections.add(item.connection_name);
        found.set(name, entry);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== null && found.size < MAX_LISTED);
    const views: McpToolView[] = [];
    for (const [name, { tool, connections }] of found) {
      const mapping = scope.mappings.find((m) => connections.has(m.connectionName) && permits(scope, m, name));
      if (mapping !== undefined) views.push(toView(tool, mapping.connectionName));
    }
    return views;
  }

  async call(scope: McpScope, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome> {
    let tool: LoadedTool;
    try {
      tool = await this.#executor.load(name);
    } catch (error) {
      if (isToolproxyError(error) && error.code === 'TOOL_NOT_FOUND') return { kind: 'unknown_tool' };
      throw error;
    }
    const mapping = await this.#mappingFor(scope, tool);
    if (mapping === undefined) return { kind: 'unknown_tool' };
    let result: ToolResult;
    try {
      result = await this.#executor.execute({
        toolName: name,
        params: args,
        target: { connectionName: mapping.connectionName, identifier: scope.identifier },
        door: 'mcp',
        actor: scope.actor,
        ...(scope.policy === null ? {} : { policy: scope.policy }),
        signal,
      });
    } catch (error) {
      return outcomeOfRefusal(error, mapping.connectionName);
    }
    if (result.ok) {
      const structured = tool.definition.output_schema !== undefined && isRecord(result.data) && !result.truncated;
      return { kind: 'ok', data: result.data, executionId: result.executionId, structured, ...(result.truncated ? { truncated: true, ...(result.note === undefined ? {} : { note: result.note }) } : {}) };
    }
    if (result.status === 401) return { kind: 'not_authorized', connectionName: mapping.connectionName, accountStatus: 'ACTIVE' };
    return {
      kind: 'upstream_error',
      status: result.status,
      data: result.data,
      executionId: result.executionId,
      ...(result.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: result.retryAfterSeconds }),
    };
  }

  /** The first mapping (config order) that permits the tool and whose connection uses the tool's connector. */
  async #mappingFor(scope: McpScope, tool: LoadedTool): Promise<McpToolMapping | undefined> {
    for (const mapping of scope.mappings) {
      if (!permits(scope, mapping, tool.name)) continue;
      if ((await this.#connectorOf(mapping.connectionName)) === tool.connectorId) return mapping;
    }
    return undefined;
  }

  #connectorOf(connectionName: string): Promise<string | null> {
    let found = this.#connectors.get(connectionName);
    if (found === undefined) {
      found = this.#store.connections.findByName(connectionName).then((row) => row?.connector_id ?? null);
      found.catch(() => this.#connectors.delete(connectionName));
      if (this.#connectors.size >= 10_000) this.#connectors.clear();
      this.#connectors.set(connectionName, found);
    }
    return found;
  }
}

/** The mapping allows the tool (an empty list allows all), and so does the token's policy. */
function permits(scope: McpScope, mapping: McpToolMapping, name: string): boolean {
  if (mapping.tools.length > 0 && !mapping.tools.includes(name)) return false;
  return !scope.policy?.tools || scope.policy.tools.includes(name);
}

function outcomeOfRefusal(error: unknown, connectionName: string): ToolOutcome {
  if (!isToolproxyError(error)) throw error;
  const details = (error.details ?? {}) as { problems?: Problem[]; status?: AccountStatus; execution_id?: string };
  if (error.code === 'TOOL_INPUT_INVALID') return { kind: 'invalid_input', problems: details.problems ?? [] };
  if (error.code === 'TOOL_NOT_FOUND') return { kind: 'unknown_tool' };
  if (NOT_AUTHORIZED.has(error.code)) return { kind: 'not_authorized', connectionName, accountStatus: details.status ?? null };
  if (!error.expose) throw error;
  return refused(error, details.execution_id);
}

function refused(error: ToolproxyError, executionId: string | undefined): ToolOutcome {
  return { kind: 'refused', code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }), ...(executionId ? { executionId } : {}) };
}

/** A tool as MCP lists it: its schema, title, and hints (GET tools read-only unless the tool says otherwise). */
function toView(tool: ToolView, connectionName: string): McpToolView {
  const { definition } = tool;
  const hints = definition.annotations ?? {};
  const method = tool.metadata.request.method;
  return {
    name: definition.name,
    title: definition.display_name,
    description: definition.description,
    inputSchema: { type: 'object', ...definition.input_schema } as JsonSchemaObject,
    connectionName,
    annotations: {
      title: definition.display_name,
      readOnlyHint: hints.read_only_hint ?? method === 'GET',
      ...(hints.destructive_hint !== undefined ? { destructiveHint: hints.destructive_hint } : method === 'DELETE' ? { destructiveHint: true } : {}),
      ...(hints.idempotent_hint !== undefined ? { idempotentHint: hints.idempotent_hint } : method === 'PUT' || method === 'DELETE' ? { idempotentHint: true } : {}),
      openWorldHint: hints.open_world_hint ?? true,
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
