/**
 * Validates tool definitions at the edge, once: TypeBox for the shape, tool-rules.ts for what a
 * schema cannot say. Used by the connector definition (its `tools`), the custom tools API and the
 * OpenAPI import. Every problem is listed with its JSON pointer; defaults are filled in.
 */
import { Value } from '@sinclair/typebox/value';
import { schemaProblems } from '../connectors/schema-problems.ts';
import { type Problem, ToolproxyError } from '../errors.ts';
import { MAX_TOOLS_PER_DEFINITION, type ToolDefinition, ToolDefinitionSchema } from './definition-schema.ts';
import { escapeToken } from './json-pointer.ts';
import type { ToolContext } from './tool-context.ts';
import { toolRuleProblems } from './tool-rules.ts';

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Problems of one tool at `path`; the tool (a JSON copy the caller owns) gets its defaults. */
export function toolProblems(tool: unknown, context: ToolContext, path = ''): Problem[] {
  if (!isRecord(tool)) return [{ path, message: 'must be an object' }];
  const reserved = reservedKeyProblems(tool, path);
  if (reserved.length > 0) return reserved;
  Value.Default(ToolDefinitionSchema, tool);
  return [...schemaProblems(ToolDefinitionSchema, tool, path), ...toolRuleProblems(tool, context, path)];
}

/** Problems of a list of tools (a connector definition's `tools`), names unique within it. */
export function toolListProblems(tools: unknown, context: ToolContext, path = '/tools'): Problem[] {
  if (!Array.isArray(tools)) return [{ path, message: 'must be an array of tool definitions' }];
  if (tools.length > MAX_TOOLS_PER_DEFINITION) return [{ path, message: `must have at most ${MAX_TOOLS_PER_DEFINITION} tools` }];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  tools.forEach((tool, index) => {
    problems.push(...toolProblems(tool, context, `${path}/${index}`));
    const name = isRecord(tool) ? tool['name'] : undefined;
    if (typeof name !== 'string') return;
    if (seen.has(name)) problems.push({ path: `${path}/${index}/name`, message: `repeats the tool name ${name}; tool names are unique` });
    seen.add(name);
  });
  return problems;
}

/** One tool from the API: valid, with defaults, or TOOL_INVALID listing every problem. */
export function assertValidTool(input: unknown, context: ToolContext): ToolDefinition {
  const tool = jsonCopy(input);
  const problems = toolProblems(tool, context);
  if (problems.length > 0) throw new ToolproxyError('TOOL_INVALID', { details: { problems } });
  return tool as ToolDefinition;
}

/** `__proto__` anywhere is refused rather than risk it acting on an object's prototype. */
function reservedKeyProblems(value: unknown, path: string): Problem[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '__proto__' ? [{ path: `${path}/__proto__`, message: 'is not allowed' }] : reservedKeyProblems(child, `${path}/${escapeToken(key)}`),
  );
}

function jsonCopy(input: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(input)) as unknown;
  } catch {
    return null;
  }
}
