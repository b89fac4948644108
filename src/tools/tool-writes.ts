/**
 * Writing tools through a set of repositories, so the caller decides the transaction: a custom
 * connector and the tools its definition carries are written together (never half-saved), an
 * OpenAPI import writes all of its tools or none, and the catalog's tools are synced in the same
 * transaction as its connectors.
 */
import { ToolproxyError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { BuiltInToolSync, Repositories, ToolWrite } from '../store/repositories.ts';
import type { ToolOrigin } from '../store/schema.ts';
import type { ToolDefinition } from './definition-schema.ts';

/** The lower-cased text the listing's `query` filter looks in. */
export function searchText(tool: ToolDefinition): string {
  return `${tool.name}\n${tool.display_name}\n${tool.description}`.toLowerCase();
}

export function toolWrite(connectorId: string, tool: ToolDefinition, origin: ToolOrigin, now: number): ToolWrite {
  return { id: newId('tool'), connector_id: connectorId, name: tool.name, definition: JSON.stringify(tool), origin, search_text: searchText(tool), now };
}

export interface ToolWriteOutcome {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
}

/**
 * Creates or replaces `tools` on a connector, by name. With `removeOthers`, the connector's
 * other non-catalog tools are deleted (a connector definition's `tools` is the whole set).
 * A name another connector holds is refused with TOOL_EXISTS, naming each such tool.
 */
export async function writeConnectorTools(
  repos: Repositories,
  connectorId: string,
  tools: readonly ToolDefinition[],
  options: { origin: ToolOrigin; now: number; removeOthers: boolean },
): Promise<ToolWriteOutcome> {
  const outcome: ToolWriteOutcome = { created: [], updated: [], unchanged: [], deleted: [] };
  const existing = new Map((await repos.tools.listForConnector(connectorId)).map((row) => [row.name, row]));
  const fresh = tools.filter((tool) => !existing.has(tool.name));
  const elsewhere = (await repos.tools.owners(fresh.map((tool) => tool.name))).filter((owner) => owner.connector_id !== connectorId);
  if (elsewhere.length > 0) throw toolsExist(elsewhere.map((owner) => owner.name));
  const builtIn = tools.filter((tool) => existing.get(tool.name)?.origin === 'catalog');
  if (builtIn.length > 0) throw new ToolproxyError('TOOL_BUILT_IN', { details: { tools: builtIn.map((tool) => tool.name) } });

  for (const tool of tools) {
    const current = existing.get(tool.name);
    if (current === undefined) continue;
    const definition = JSON.stringify(tool);
    if (current.definition === definition && current.origin === options.origin) {
      outcome.unchanged.push(tool.name);
      continue;
    }
    await repos.tools.update(current.id, { definition, search_text: searchText(tool), origin: options.origin, now: options.now });
    outcome.updated.push(tool.name);
  }
  const taken = await repos.tools.insertMany(fresh.map((tool) => toolWrite(connectorId, tool, options.origin, options.now)));
  if (taken.length > 0) throw toolsExist(taken);
  outcome.created.push(...fresh.map((tool) => tool.name));

  if (options.removeOthers) {
    const wanted = new Set(tools.map((tool) => tool.name));
    const others = [...existing.values()].filter((row) => row.origin !== 'catalog' && !wanted.has(row.name));
    await repos.tools.deleteMany(others.map((row) => row.id));
    outcome.deleted.push(...others.map((row) => row.name));
  }
  return outcome;
}

/** The catalog's tools, per built-in connector identifier, made to match what is stored. */
export async function syncCatalogTools(
  repos: Repositories,
  entries: ReadonlyArray<{ identifier: string; tools: readonly ToolDefinition[] }>,
  now: number,
): Promise<BuiltInToolSync> {
  const connectorIds: string[] = [];
  const rows: ToolWrite[] = [];
  for (const entry of entries) {
    const connector = await repos.connectors.find(entry.identifier);
    if (connector === undefined || connector.origin !== 'catalog') continue;
    connectorIds.push(connector.id);
    rows.push(...entry.tools.map((tool) => toolWrite(connector.id, tool, 'catalog', now)));
  }
  return repos.tools.syncBuiltIns(connectorIds, rows);
}

function toolsExist(names: readonly string[]): ToolproxyError {
  return new ToolproxyError('TOOL_EXISTS', {
    message: `${names.length === 1 ? `A tool named ${names[0]} already exists` : `${names.length} tool names are taken`} on another connector; tool names are unique.`,
    details: { tools: names.slice(0, 50) },
  });
}
