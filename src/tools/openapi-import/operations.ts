/** The operations of an OpenAPI document, their tool names, and the `include` filter. */
import { createHash } from 'node:crypto';
import { TOOL_NAME_MAX } from '../definition-schema.ts';
import type { SchemaConverter } from './schema-convert.ts';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Operation {
  method: HttpMethod;
  path: string;
  pathItem: Json;
  operation: Json;
  operationId: string | undefined;
  tags: string[];
  /** `GET /repos/{owner}/{repo}`, for messages. */
  label: string;
}

/** Every operation in document order (paths, then methods in the order OpenAPI lists them). */
export function listOperations(document: Json, converter: SchemaConverter): Operation[] {
  const paths = document['paths'];
  if (!isRecord(paths)) return [];
  const operations: Operation[] = [];
  for (const [path, rawItem] of Object.entries(paths)) {
    let pathItem: unknown = rawItem;
    try {
      pathItem = converter.deref(rawItem);
    } catch {
      continue; // an unresolvable path item holds no operation we can read
    }
    if (!isRecord(pathItem)) continue;
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!isRecord(operation)) continue;
      const operationId = typeof operation['operationId'] === 'string' && operation['operationId'] !== '' ? operation['operationId'] : undefined;
      const tags = Array.isArray(operation['tags']) ? operation['tags'].filter((tag): tag is string => typeof tag === 'string') : [];
      operations.push({ method, path, pathItem, operation, operationId, tags, label: `${method.toUpperCase()} ${path}` });
    }
  }
  return operations;
}

/**
 * `include` patterns (globs: `*` any run of characters, `?` one), matched without regard to case
 * against an operation's id, each of its tags and `METHOD /path`. No pattern: everything.
 */
export function includeFilter(patterns: readonly string[]): (operation: Operation) => boolean {
  const expressions = patterns.filter((p) => p.trim() !== '').map(globToRegExp);
  if (expressions.length === 0) return () => true;
  return (operation) => {
    const candidates = [operation.operationId ?? '', ...operation.tags, operation.label];
    return expressions.some((expression) => candidates.some((candidate) => expression.test(candidate)));
  };
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .trim()
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'is');
}

/** `repos/get` → `repos_get`, `getPetById` → `get_pet_by_id`. */
export function snakeCase(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * One tool name per operation: the connector prefix, then the operationId in snake_case (or the
 * method and path when there is none). A name over 64 characters keeps its start and gets a
 * short hash of the whole, and a repeated name gets `_2`, `_3`…: deterministic, so importing the
 * same document again updates the same tools.
 */
export function toolNames(prefix: string, operations: readonly Operation[]): string[] {
  const used = new Set<string>();
  return operations.map((operation) => {
    const action = snakeCase(operation.operationId ?? `${operation.method}_${operation.path}`) || operation.method;
    let name = fit(`${prefix}_${action}`);
    for (let n = 2; used.has(name); n++) name = fit(`${prefix}_${action}`, `_${n}`);
    used.add(name);
    return name;
  });
}

function fit(name: string, suffix = ''): string {
  if (name.length + suffix.length <= TOOL_NAME_MAX) return name + suffix;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const room = TOOL_NAME_MAX - hash.length - 1 - suffix.length;
  return `${name.slice(0, room).replace(/_+$/, '')}_${hash}${suffix}`;
}
