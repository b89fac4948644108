/**
 * OpenAPI schema dialects → JSON Schema draft 2020-12, the dialect of every tool schema.
 *
 * - Swagger 2.0 and OpenAPI 3.0 "schema objects" are an extended subset of draft 4/5: `nullable`
 *   (3.0) and `x-nullable` (2.0) become a `"null"` type or branch; boolean `exclusiveMinimum` /
 *   `exclusiveMaximum` become the 2020-12 numbers; `example` becomes `examples`; 2.0's
 *   `type: file` becomes a string of bytes; `discriminator`, `xml`, `externalDocs` and `x-…`
 *   annotations are dropped. OpenAPI 3.1 schemas are 2020-12 already and only lose the same
 *   OpenAPI-only annotations.
 * - `$ref`s are local only (`#/components/…`, `#/definitions/…`): nothing is ever fetched.
 *   Referenced schemas are inlined; a schema that refers to itself (a tree, a linked list) is
 *   put once under `$defs` and referred to, so a recursive document never inlines forever.
 * - Request schemas drop `readOnly` properties, response schemas `writeOnly` ones (OpenAPI 3.0
 *   §4.7.25: they are not sent in that direction). Response schemas are documentation: objects
 *   nested deeper than OUTPUT_SCHEMA_DEPTH are summarized as their type.
 */
import { parsePointer, valueAt } from '../json-pointer.ts';
import { INPUT_SCHEMA_DEPTH, OUTPUT_SCHEMA_DEPTH, SCHEMA_NODE_BUDGET } from './limits.ts';

export type Dialect = '2.0' | '3.0' | '3.1';
export type Direction = 'request' | 'response';
type Json = Record<string, unknown>;

/** Why an operation cannot become a tool; the message is shown in the import's `skipped` list. */
export class Unsupported extends Error {
  override readonly name = 'Unsupported';
}

const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** 2020-12 keywords copied as they are (after their own conversion where one applies). */
const PLAIN = [
  'title', 'description', 'default', 'deprecated', 'readOnly', 'writeOnly', 'const', 'enum', 'format', 'multipleOf',
  'maxLength', 'minLength', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties',
  'minProperties', 'contentEncoding', 'contentMediaType', 'dependentRequired',
];
const SUBSCHEMA = ['items', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_MAPS = ['patternProperties', 'dependentSchemas'];
const ANNOTATIONS_ONLY = new Set(['description', 'title', 'summary', 'deprecated', 'readOnly', 'writeOnly', 'examples', 'example', 'default']);

export interface SchemaSession {
  convert(schema: unknown): Json;
  /** The `$defs` the converted schemas refer to, or undefined when none is recursive. */
  defs(): Json | undefined;
}

interface Context {
  direction: Direction;
  maxDepth: number;
  /** Refs being expanded right now (a ref met again inside its own expansion is recursive). */
  stack: string[];
  recursive: Set<string>;
  defs: Map<string, { key: string; schema?: unknown }>;
  nodes: number;
}

export class SchemaConverter {
  readonly #document: Json;
  readonly dialect: Dialect;

  constructor(document: Json, dialect: Dialect) {
    this.#document = document;
    this.dialect = dialect;
  }

  /** The object a local `$ref` points at; follows chains of `$ref`-only objects. */
  deref<T = Json>(node: unknown): T {
    let current = node;
    for (let hops = 0; isRecord(current) && typeof current['$ref'] === 'string'; hops++) {
      if (hops > 20) throw new Unsupported(`a chain of $ref is too long or circular (${current['$ref']})`);
      current = this.resolve(current['$ref']);
    }
    return current as T;
  }

  resolve(ref: string): unknown {
    if (!ref.startsWith('#')) throw new Unsupported(`refers to another document (${ref.slice(0, 120)}); only local $refs are imported`);
    let pointer: string;
    try {
      pointer = decodeURIComponent(ref.slice(1));
    } catch {
      throw new Unsupported(`has a malformed $ref (${ref.slice(0, 120)})`);
    }
    const tokens = parsePointer(pointer);
    const target = tokens === null ? undefined : valueAt(this.#document, tokens);
    if (target === undefined) throw new Unsupported(`has a $ref to nothing (${ref.slice(0, 120)})`);
    return target;
  }

  /** A whole schema in 2020-12, with `$defs` for what refers to itself. */
  convert(schema: unknown, direction: Direction): Json {
    const session = this.session(direction);
    const root = session.convert(schema);
    const defs = session.defs();
    return defs === undefined ? root : { ...root, $defs: defs };
  }

  /**
   * Several schemas that end up in one document (a tool's input_schema: each parameter and the
   * body's members), sharing one `$defs` that the caller puts at that document's root.
   */
  session(direction: Direction): SchemaSession {
    const context: Context = {
      direction,
      maxDepth: direction === 'request' ? INPUT_SCHEMA_DEPTH : OUTPUT_SCHEMA_DEPTH,
      stack: [],
      recursive: new Set(),
      defs: new Map(),
      nodes: 0,
    };
    return {
      convert: (schema) => {
        const converted = this.#node(schema, context, 0);
        return typeof converted === 'boolean' ? (converted ? {} : { not: {} }) : converted;
      },
      defs: () => {
        const defs = [...context.defs.values()].filter((def) => def.schema !== undefined);
        return defs.length === 0 ? undefined : Object.fromEntries(defs.map((def) => [def.key, def.schema]));
      },
    };
  }

  /** Whether a (possibly referenced) schema says readOnly / writeOnly at its top. */
  flag(schema: unknown, keyword: 'readOnly' | 'writeOnly'): boolean {
    if (!isRecord(schema)) return false;
    if (schema[keyword] === true) return true;
    try {
      return typeof schema['$ref'] === 'string' && this.deref<Json>(schema)[keyword] === true;
    } catch {
      return false;
    }
  }

  #node(node: unknown, context: Context, depth: number): Json | boolean {
    if (typeof node === 'boolean' && this.dialect === '3.1') return node;
    if (!isRecord(node)) return {};
    if (++context.nodes > SCHEMA_NODE_BUDGET) throw new Unsupported(`has a schema larger than ${SCHEMA_NODE_BUDGET} nodes`);
    if (typeof node['$ref'] === 'string') return this.#ref(node, context, depth);
    if (depth > context.maxDepth) {
      if (context.direction === 'request') throw new Unsupported(`has a request schema nested deeper than ${INPUT_SCHEMA_DEPTH} levels`);
      return this.#summary(node);
    }

    const out: Json = {};
    if (this.dialect === '2.0' && node['type'] === 'file') {
      Object.assign(out, { type: 'string', contentMediaType: 'application/octet-stream' });
    } else if (node['type'] !== undefined) {
      out['type'] = node['type'];
    }
    for (const key of PLAIN) if (node[key] !== undefined) out[key] = node[key];
    if (typeof node['pattern'] === 'string' && compiles(node['pattern'])) out['pattern'] = node['pattern'];
    this.#bounds(node, out);
    if (context.direction === 'request') {
      const examples = Array.isArray(node['examples']) ? node['examples'] : node['example'] !== undefined ? [node['example']] : undefined;
      if (examples !== undefined) out['examples'] = examples;
    }

    if (isRecord(node['properties'])) {
      const properties: Json = {};
      const skip = context.direction === 'request' ? 'readOnly' : 'writeOnly';
      for (const [name, child] of Object.entries(node['properties'])) {
        if (this.flag(child, skip)) continue;
        define(properties, name, this.#node(child, context, depth + 1));
      }
      out['properties'] = properties;
      if (Array.isArray(node['required'])) {
        const required = node['required'].filter((name) => typeof name === 'string' && Object.hasOwn(properties, name));
        if (required.length > 0) out['required'] = required;
      }
    } else if (Array.isArray(node['required']) && node['required'].length > 0) {
      out['required'] = node['required'];
    }
    if (typeof node['additionalProperties'] === 'boolean') out['additionalProperties'] = node['additionalProperties'];
    else if (isRecord(node['additionalProperties'])) out['additionalProperties'] = this.#node(node['additionalProperties'], context, depth + 1);
    for (const key of SUBSCHEMA) {
      // 2.0/3.0 `items` is one schema; a 3.1 boolean is kept as it is.
      if (node[key] !== undefined && (isRecord(node[key]) || typeof node[key] === 'boolean')) out[key] = this.#node(node[key], context, depth + 1);
    }
    for (const key of SCHEMA_LISTS) {
      if (Array.isArray(node[key])) out[key] = (node[key] as unknown[]).map((child) => this.#node(child, context, depth + 1));
    }
    for (const key of SCHEMA_MAPS) {
      if (!isRecord(node[key])) continue;
      const map: Json = {};
      for (const [name, child] of Object.entries(node[key] as Json)) {
        if (key === 'patternProperties' && !compiles(name)) continue;
        define(map, name, this.#node(child, context, depth + 1));
      }
      out[key] = map;
    }
    if (out['type'] === 'array' && out['items'] === undefined && out['prefixItems'] === undefined) out['items'] = {};
    const nullable = this.dialect === '3.0' ? node['nullable'] === true : this.dialect === '2.0' ? node['x-nullable'] === true : false;
    return nullable ? withNull(out) : out;
  }

  #ref(node: Json, context: Context, depth: number): Json | boolean {
    const ref = node['$ref'] as string;
    // 3.1 lets annotations sit beside a $ref; 2.0 and 3.0 ignore every sibling.
    const siblings = this.dialect === '3.1' ? Object.keys(node).filter((key) => key !== '$ref') : [];
    const target = this.resolve(ref);
    if (context.direction === 'response' && (depth > context.maxDepth || context.stack.includes(ref))) return this.#summary(this.deref(target));
    let converted: Json | boolean;
    if (context.stack.includes(ref) || context.recursive.has(ref)) {
      context.recursive.add(ref);
      converted = { $ref: `#/$defs/${this.#defKey(ref, context)}` };
    } else {
      context.stack.push(ref);
      try {
        converted = this.#node(target, context, depth);
      } finally {
        context.stack.pop();
      }
      if (context.recursive.has(ref)) {
        const key = this.#defKey(ref, context);
        context.defs.get(ref)!.schema = converted;
        converted = { $ref: `#/$defs/${key}` };
      }
    }
    if (siblings.length === 0) return converted;
    const extra = this.#node(Object.fromEntries(siblings.map((key) => [key, node[key]])), context, depth) as Json;
    const annotationsOnly = siblings.every((key) => ANNOTATIONS_ONLY.has(key));
    if (annotationsOnly && typeof converted === 'object' && converted['$ref'] === undefined) return { ...converted, ...extra };
    return { allOf: [converted], ...extra };
  }

  #defKey(ref: string, context: Context): string {
    const known = context.defs.get(ref);
    if (known !== undefined) return known.key;
    const base = (ref.split('/').pop() ?? 'schema').replace(/[^A-Za-z0-9_.-]/g, '_') || 'schema';
    const taken = new Set([...context.defs.values()].map((def) => def.key));
    let key = base;
    for (let n = 2; taken.has(key); n++) key = `${base}_${n}`;
    context.defs.set(ref, { key });
    return key;
  }

  /** A deep or recursive response schema, summarized as its type (null included when it may be null). */
  #summary(node: unknown): Json {
    if (!isRecord(node)) return {};
    const type = this.dialect === '2.0' && node['type'] === 'file' ? 'string' : node['type'];
    const summary = type !== undefined ? { type } : isRecord(node['properties']) ? { type: 'object' } : {};
    const nullable = this.dialect === '3.0' ? node['nullable'] === true : this.dialect === '2.0' ? node['x-nullable'] === true : false;
    return nullable && 'type' in summary ? withNull(summary) : summary;
  }

  /** 2.0 and 3.0 `exclusiveMinimum: true` beside `minimum: n` is 2020-12's `exclusiveMinimum: n`. */
  #bounds(node: Json, out: Json): void {
    for (const [bound, exclusive] of [['minimum', 'exclusiveMinimum'], ['maximum', 'exclusiveMaximum']] as const) {
      const value = node[bound];
      const flag = node[exclusive];
      if (typeof flag === 'number') out[exclusive] = flag;
      if (typeof value !== 'number') continue;
      if (flag === true) out[exclusive] = value;
      else out[bound] = value;
    }
  }
}

/** The schema, also accepting null (3.0 `nullable`, 2.0 `x-nullable`). */
function withNull(schema: Json): Json {
  const type = schema['type'];
  if (typeof type === 'string' || Array.isArray(type)) {
    const types = Array.isArray(type) ? [...type] : [type];
    if (!types.includes('null')) types.push('null');
    const out: Json = { ...schema, type: types };
    if (Array.isArray(schema['enum']) && !schema['enum'].includes(null)) out['enum'] = [...schema['enum'], null];
    return out;
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(schema[key])) return { ...schema, [key]: [...(schema[key] as unknown[]), { type: 'null' }] };
  }
  const { description, title, ...rest } = schema;
  return { ...(title === undefined ? {} : { title }), ...(description === undefined ? {} : { description }), anyOf: [rest, { type: 'null' }] };
}

function define(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

