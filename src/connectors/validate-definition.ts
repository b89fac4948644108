/**
 * Validates a connector definition at the edge, once (STYLE.md): every problem is listed, defaults
 * are applied, and the result is trusted inside. A definition is never half-saved (DESIGN.md §2).
 */
import { Value } from '@sinclair/typebox/value';
import { ToolproxyError, type Problem } from '../errors.ts';
import { definitionRuleProblems, type TypedPattern } from './definition-rules.ts';
import {
  AUTH_PATTERN_SCHEMAS,
  AUTH_TYPES,
  ConnectorDefinitionSchema,
  DefinitionShellSchema,
  type AuthPattern,
  type AuthType,
  type ConnectorDefinition,
} from './definition-schema.ts';
import { schemaProblems } from './schema-problems.ts';
import { identifierSlug, toolContext } from '../tools/tool-context.ts';
import { toolListProblems } from '../tools/validate-tools.ts';

export type DefinitionValidation = { ok: true; definition: ConnectorDefinition } | { ok: false; problems: Problem[] };

/**
 * Read-only fields of a connector as the reference (§1.2) and our own API return it. They are
 * dropped, so a definition fetched from either can be applied again unchanged.
 */
const READ_ONLY_KEYS = [
  'identifier', 'id', 'is_custom', 'is_custom_mcp', 'categories', 'display_priority', 'coming_soon',
  'created_at', 'updated_at',
];

const MCP_UNSUPPORTED = 'is_mcp is not supported yet: toolproxy proxies HTTP APIs; MCP connectors are planned';
const TYPE_LIST = AUTH_TYPES.join(', ');

export interface ValidationOptions {
  /**
   * The connector's identifier, which prefixes its tool names. Unknown before a connector is
   * created: then the one its display_name gives (ConnectorsService checks again once it is chosen).
   */
  identifier?: string;
}

export function validateDefinition(input: unknown, options: ValidationOptions = {}): DefinitionValidation {
  if (!isRecord(input)) return { ok: false, problems: [{ path: '', message: 'must be a JSON object' }] };
  const definition = jsonCopy(input);
  if (definition === null) return { ok: false, problems: [{ path: '', message: 'must be a JSON object' }] };
  const reserved = reservedKeyProblems(definition, '');
  if (reserved.length > 0) return { ok: false, problems: reserved };
  for (const key of READ_ONLY_KEYS) delete definition[key];
  // The reference returns "" for an unset icon.
  if (definition['icon_src'] === '') delete definition['icon_src'];
  Value.Default(DefinitionShellSchema, definition);

  const problems = schemaProblems(DefinitionShellSchema, definition);
  const typed: TypedPattern[] = [];
  const patterns = definition['auth_patterns'];
  if (Array.isArray(patterns)) {
    patterns.forEach((pattern: unknown, index) => {
      const checked = checkPattern(pattern, `/auth_patterns/${index}`, problems);
      if (checked) typed.push({ index, ...checked });
    });
  }
  problems.push(...definitionRuleProblems(definition, typed));
  if (definition['tools'] !== undefined) {
    const displayName = typeof definition['display_name'] === 'string' ? definition['display_name'] : '';
    const identifier = options.identifier ?? identifierSlug(displayName);
    const pattern = typed[0]?.pattern as AuthPattern | undefined;
    problems.push(...toolListProblems(definition['tools'], toolContext(identifier, pattern)));
  }
  if (problems.length > 0) return { ok: false, problems };
  // Belt and braces: the variant-by-variant walk above must agree with the exported schema.
  if (!Value.Check(ConnectorDefinitionSchema, definition)) {
    return { ok: false, problems: schemaProblems(ConnectorDefinitionSchema, definition) };
  }
  return { ok: true, definition };
}

export function assertValidDefinition(input: unknown, options: ValidationOptions = {}): ConnectorDefinition {
  const result = validateDefinition(input, options);
  if (!result.ok) throw new ToolproxyError('CONNECTOR_INVALID', { details: { problems: result.problems } });
  return result.definition;
}

/**
 * The discriminator first, then the one variant it names: a union error would list every
 * variant's complaints, which is noise to the author.
 */
function checkPattern(pattern: unknown, path: string, problems: Problem[]): { type: AuthType; pattern: Record<string, unknown> } | null {
  if (!isRecord(pattern)) {
    problems.push({ path, message: 'must be an object' });
    return null;
  }
  if ('is_mcp' in pattern) {
    if (pattern['is_mcp'] !== false) {
      problems.push({ path: `${path}/is_mcp`, message: MCP_UNSUPPORTED });
      return null;
    }
    delete pattern['is_mcp'];
  }
  const config = pattern['oauth_config'];
  // Reference-only switch (use the reference's shared OAuth app); here the OAuth client is always the connection's.
  if (isRecord(config) && typeof config['allow_use_scalekit_credentials'] === 'boolean') {
    delete config['allow_use_scalekit_credentials'];
  }
  const type = pattern['type'];
  const typeProblem = describeType(type);
  if (typeProblem !== null) {
    problems.push({ path: `${path}/type`, message: typeProblem });
    return null;
  }
  const schema = AUTH_PATTERN_SCHEMAS[type as AuthType];
  Value.Default(schema, pattern);
  problems.push(...schemaProblems(schema, pattern, path));
  return { type: type as AuthType, pattern };
}

function describeType(type: unknown): string | null {
  if (typeof type === 'string' && (AUTH_TYPES as readonly string[]).includes(type)) return null;
  if (type === undefined) return `is required (one of: ${TYPE_LIST})`;
  if (type === 'NO_AUTH') return 'NO_AUTH is only for MCP connectors, which are not supported yet';
  const upper = typeof type === 'string' ? type.toUpperCase() : '';
  const hint = (AUTH_TYPES as readonly string[]).includes(upper) ? ` (types are upper case: ${upper})` : '';
  return `must be one of: ${TYPE_LIST}${hint}`;
}

/** A JSON round trip keeps a `__proto__` key as an own property (Value.Clone would make it the prototype). */
function jsonCopy(input: Record<string, unknown>): Record<string, unknown> | null {
  try {
    return JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
  } catch {
    return null; // cycles, BigInt: not JSON
  }
}

/** `__proto__` anywhere is refused outright rather than risk it acting on an object's prototype. */
function reservedKeyProblems(value: unknown, path: string): Problem[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '__proto__'
      ? [{ path: `${path}/__proto__`, message: 'is not allowed' }]
      : reservedKeyProblems(child, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
