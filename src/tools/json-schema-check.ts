/**
 * Checks a tool's JSON Schema without compiling it: meta-validation against draft 2020-12, local
 * references only, patterns that compile, no `$id`. Compiling waits for the first call
 * (input-validators.ts), so loading thousands of imported tools stays cheap.
 */
import type { Problem } from '../errors.ts';
import { metaValidator } from './json-schema-ajv.ts';
import { escapeToken, parsePointer, valueAt } from './json-pointer.ts';

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
const MAX_DEPTH = 64;

export function jsonSchemaProblems(schema: Record<string, unknown>, path: string): Problem[] {
  const declared = schema['$schema'];
  if (declared !== undefined && declared !== DRAFT_2020_12 && declared !== `${DRAFT_2020_12}#`) {
    return [{ path: `${path}/$schema`, message: `must be ${DRAFT_2020_12} (or left out)` }];
  }
  const ajv = metaValidator();
  if (!ajv.validateSchema(schema)) {
    return (ajv.errors ?? []).slice(0, 20).map((error) => ({
      path: `${path}${error.instancePath}`,
      message: `is not valid JSON Schema 2020-12: ${error.message ?? 'invalid'}`,
    }));
  }
  const problems: Problem[] = [];
  walk(schema, schema, path, 0, problems);
  return problems.slice(0, 20);
}

const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SUBSCHEMAS = new Set([
  'items', 'additionalItems', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames',
  'unevaluatedItems', 'unevaluatedProperties',
]);

/** Walks schema positions only: a property named `$ref` or `pattern` is a name, not a keyword. */
function walk(node: unknown, root: Record<string, unknown>, path: string, depth: number, problems: Problem[]): void {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
  if (depth > MAX_DEPTH) {
    problems.push({ path, message: `nests deeper than ${MAX_DEPTH} levels` });
    return;
  }
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    const at = `${path}/${escapeToken(key)}`;
    if (key === '$id' && typeof value === 'string') {
      problems.push({ path: at, message: '$id is not allowed: tool schemas are compiled side by side and must not claim an id' });
    } else if (key === '$ref' && typeof value === 'string') {
      const problem = refProblem(value, root);
      if (problem) problems.push({ path: at, message: problem });
    } else if (key === 'pattern' && typeof value === 'string') {
      if (!compiles(value)) problems.push({ path: at, message: 'is not a valid ECMAScript regular expression (unicode mode)' });
    } else if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object') {
      for (const [name, child] of Object.entries(value)) {
        const childPath = `${at}/${escapeToken(name)}`;
        if (key === 'patternProperties' && !compiles(name)) {
          problems.push({ path: childPath, message: 'is not a valid ECMAScript regular expression (unicode mode)' });
        }
        walk(child, root, childPath, depth + 1, problems);
      }
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      value.forEach((child, i) => walk(child, root, `${at}/${i}`, depth + 1, problems));
    } else if (SUBSCHEMAS.has(key)) {
      walk(value, root, at, depth + 1, problems);
    }
  }
}

/** Only `#/json/pointer` into this schema, or `#anchor` it declares: nothing is ever fetched. */
function refProblem(ref: string, root: Record<string, unknown>): string | null {
  if (!ref.startsWith('#')) return 'must be a local reference (#/$defs/…): remote references are never fetched';
  const fragment = ref.slice(1);
  if (fragment === '') return null;
  if (!fragment.startsWith('/')) return hasAnchor(root, fragment, 0) ? null : `names no $anchor "${fragment}" in this schema`;
  let decoded: string;
  try {
    decoded = decodeURIComponent(fragment);
  } catch {
    return 'is not a valid URI fragment';
  }
  const tokens = parsePointer(decoded);
  if (tokens === null || valueAt(root, tokens) === undefined) return 'points at nothing in this schema';
  return null;
}

function hasAnchor(node: unknown, anchor: string, depth: number): boolean {
  if (node === null || typeof node !== 'object' || depth > MAX_DEPTH) return false;
  if (Array.isArray(node)) return node.some((item) => hasAnchor(item, anchor, depth + 1));
  const record = node as Record<string, unknown>;
  if (record['$anchor'] === anchor || record['$dynamicAnchor'] === anchor) return true;
  return Object.values(record).some((value) => hasAnchor(value, anchor, depth + 1));
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}
