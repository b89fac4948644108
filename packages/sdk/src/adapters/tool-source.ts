import type { ToolAccountRoute } from '../execute-tool.ts';
import type { AvailableTool, ScopedTool, Tool, ToolDefinitionView } from '../tool-types.ts';

/** Anything the SDK lists tools as: a `Tool`, a scoped or available entry, or a bare definition. */
export type ToolSource = Tool | ScopedTool | AvailableTool | ToolDefinitionView;

/** A tool as every adapter needs it: what the model sees, and the account a call of it runs on. */
export interface FunctionSpec {
  name: string;
  description: string;
  /** The tool's `input_schema`, always an object schema with `properties`. */
  parameters: { type: 'object'; properties: Record<string, unknown>; [key: string]: unknown };
  /** The account of a scoped (or connected available) entry; otherwise the caller's route is used. */
  route: ToolAccountRoute;
}

function unwrap(source: ToolSource): { definition: ToolDefinitionView; connectedAccountId?: string | null } {
  if ('tool' in source) return { definition: source.tool.definition, connectedAccountId: source.connectedAccountId };
  if ('definition' in source) return { definition: source.definition };
  return { definition: source };
}

/**
 * The function specs of `tools`, one per name (the first wins: a connector with two connections
 * is listed once per connection, and models refuse duplicate names). A scoped entry (or a
 * connected available one) runs on its own account; anything else on `route`.
 */
export function functionSpecs(tools: readonly ToolSource[], route: ToolAccountRoute = {}): FunctionSpec[] {
  const seen = new Set<string>();
  const specs: FunctionSpec[] = [];
  for (const source of tools) {
    const { definition, connectedAccountId } = unwrap(source);
    if (seen.has(definition.name)) continue;
    seen.add(definition.name);
    specs.push({
      name: definition.name,
      description: definition.description || definition.display_name || definition.name,
      parameters: objectSchema(definition.input_schema),
      route: connectedAccountId ? { connectedAccountId, ...scopeOf(route) } : route,
    });
  }
  return specs;
}

function scopeOf(route: ToolAccountRoute): ToolAccountRoute {
  return { ...(route.organizationId ? { organizationId: route.organizationId } : {}), ...(route.userId ? { userId: route.userId } : {}) };
}

/** The input schema as function-calling APIs take it: an object with `properties`, without `$schema`/`$id` at the top. */
export function objectSchema(schema: Record<string, unknown> | undefined): FunctionSpec['parameters'] {
  const { $schema: _schema, $id: _id, ...rest } = schema ?? {};
  const properties = rest.properties && typeof rest.properties === 'object' ? (rest.properties as Record<string, unknown>) : {};
  return { ...rest, type: 'object', properties };
}
