/**
 * Tools as the API returns them, in the reference's `Tool` shape (scalekit.v1.tools.Tool:
 * id, provider, definition, metadata, tags, is_default, updated_at), so the gRPC ToolService
 * maps them directly and the reference's adapters read `definition.input_schema` unchanged.
 */
import type { ConnectionToolRow, ToolListRow } from '../store/repositories.ts';
import type { AccountStatus, ToolOrigin } from '../store/schema.ts';
import type { OutputProjection, RequestTemplate, ToolDefinition } from './definition-schema.ts';

export interface ToolView {
  id: string;
  /** The connector's identifier. */
  provider: string;
  /** What a model sees: the reference's definition members. */
  definition: Pick<ToolDefinition, 'name' | 'display_name' | 'description' | 'input_schema' | 'output_schema' | 'annotations'>;
  /** How it runs: the request template and output projection, and where the tool comes from. */
  metadata: {
    connector_id: string;
    origin: ToolOrigin;
    version: number;
    request: RequestTemplate;
    output?: OutputProjection;
  };
  tags: string[];
  /** true for the built-in catalog's tools (read-only). */
  is_default: boolean;
  created_at: string;
  updated_at: string;
}

/** A tool the identifier can call now, through one of its ACTIVE accounts. */
export interface ScopedToolView {
  tool: ToolView;
  identifier: string;
  connection_name: string;
  connected_account_id: string;
}

/** A tool of one of the app's connections, with the identifier's account there (null: not connected). */
export interface AvailableToolView {
  tool: ToolView;
  identifier: string;
  connection_name: string;
  connected_account_id: string | null;
  account_status: AccountStatus | null;
}

export function toToolView(row: ToolListRow): ToolView {
  const tool = JSON.parse(row.definition) as ToolDefinition;
  const { name, display_name, description, input_schema, output_schema, annotations } = tool;
  return {
    id: row.id,
    provider: row.provider,
    definition: {
      name,
      display_name,
      description,
      input_schema,
      ...(output_schema === undefined ? {} : { output_schema }),
      ...(annotations === undefined ? {} : { annotations }),
    },
    metadata: {
      connector_id: row.connector_id,
      origin: row.origin,
      version: row.version,
      request: tool.request,
      ...(tool.output === undefined ? {} : { output: tool.output }),
    },
    tags: tool.tags ?? [],
    is_default: row.origin === 'catalog',
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export function toScopedView(row: ConnectionToolRow, identifier: string): ScopedToolView {
  return { tool: toToolView(row), identifier, connection_name: row.connection_name, connected_account_id: row.account_id ?? '' };
}

export function toAvailableView(row: ConnectionToolRow, identifier: string): AvailableToolView {
  return {
    tool: toToolView(row),
    identifier,
    connection_name: row.connection_name,
    connected_account_id: row.account_id,
    account_status: row.account_status,
  };
}
