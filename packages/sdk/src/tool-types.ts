/** Tools as the SDK returns them. `definition` keeps the API's field names: adapters pass `input_schema` on as it is. */

export interface ToolDefinitionView {
  name: string;
  display_name: string;
  description: string;
  /** JSON Schema (2020-12) of the input. */
  input_schema: Record<string, unknown>;
  output_schema?: Record<string, unknown>;
  annotations?: Record<string, boolean>;
}

export interface Tool {
  id: string;
  /** The connector's identifier. */
  provider: string;
  definition: ToolDefinitionView;
  /** The request template, output projection, origin (catalog, custom, openapi) and version. */
  metadata: { connector_id: string; origin: 'catalog' | 'custom' | 'openapi'; version: number; request: Record<string, unknown>; output?: Record<string, unknown> };
  tags: string[];
  /** true for the server's built-in tools (read-only). */
  isDefault: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ToolImportResult {
  dryRun: boolean;
  connector: string;
  document: { title: string; version: string; specification: string; operations: number; selected: number; pathPrefix: string };
  tools: Array<{ name: string; method: string; path: string; action: 'create' | 'update' | 'unchanged' }>;
  created: number;
  updated: number;
  unchanged: number;
  skipped: Array<{ operation: string; operationId?: string; reason: string }>;
  warnings: Array<{ tool: string; message: string }>;
}

type Wire = Record<string, any>;

export function toTool(wire: Wire): Tool {
  return {
    id: wire.id,
    provider: wire.provider,
    definition: wire.definition,
    metadata: wire.metadata,
    tags: wire.tags ?? [],
    isDefault: wire.is_default === true,
    createdAt: new Date(wire.created_at),
    updatedAt: new Date(wire.updated_at),
  };
}

export function toToolImportResult(wire: Wire): ToolImportResult {
  const { path_prefix: pathPrefix, ...document } = wire.document as Wire;
  return {
    dryRun: wire.dry_run === true,
    connector: wire.connector,
    document: { ...(document as Omit<ToolImportResult['document'], 'pathPrefix'>), pathPrefix },
    tools: wire.tools,
    created: wire.created,
    updated: wire.updated,
    unchanged: wire.unchanged,
    skipped: (wire.skipped as Wire[]).map((s) => ({ operation: s.operation, ...(s.operation_id ? { operationId: s.operation_id } : {}), reason: s.reason })),
    warnings: wire.warnings,
  };
}

/** A tool the identifier can call now, through one of its ACTIVE accounts (`tools.listScoped`). */
export interface ScopedTool {
  tool: Tool;
  identifier: string;
  connectionName: string;
  connectedAccountId: string;
}

/** A tool of one of the app's connections, with the identifier's account there (`tools.listAvailable`). */
export interface AvailableTool {
  tool: Tool;
  identifier: string;
  connectionName: string;
  /** null: the identifier has no account on this connection yet. */
  connectedAccountId: string | null;
  accountStatus: string | null;
}

/** What `executeTool` resolves with: the tool's output (projected and capped by the server) and the id of this run. */
export interface ToolExecution<T = unknown> {
  data: T;
  /** This run (`ex_…`), as the request log shows it. */
  executionId: string;
  /** Present when the server cut an answer over its size limit; pass `truncationNote` on with the data. */
  truncated?: true;
  truncationNote?: string;
}

export function toScopedTool(wire: Wire): ScopedTool {
  return { tool: toTool(wire.tool), identifier: wire.identifier, connectionName: wire.connection_name, connectedAccountId: wire.connected_account_id };
}

export function toAvailableTool(wire: Wire): AvailableTool {
  return {
    tool: toTool(wire.tool),
    identifier: wire.identifier,
    connectionName: wire.connection_name,
    connectedAccountId: wire.connected_account_id ?? null,
    accountStatus: wire.account_status ?? null,
  };
}
