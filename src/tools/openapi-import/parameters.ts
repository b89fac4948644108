/**
 * OpenAPI parameters (path, query, header; Swagger 2.0 formData too) → input properties and the
 * request template's mappings. Serialization styles map onto the template's: query `form`
 * (exploded: repeat the key; not: comma-joined), `deepObject`; Swagger 2.0 `collectionFormat`
 * `multi` and `csv`. Anything else cannot be rendered faithfully: an optional parameter is left
 * out (with a warning), a required one makes the operation unsupported.
 */
import { HEADER_TOKEN_PATTERN } from '../../connectors/definition-schema.ts';
import { forwardableRequestHeaders } from '../../proxy/header-policy.ts';
import type { ValueMapping } from '../definition-schema.ts';
import type { ToolContext } from '../tool-context.ts';
import { type SchemaConverter, type SchemaSession, Unsupported } from './schema-convert.ts';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Keywords a Swagger 2.0 non-body parameter carries inline instead of a `schema`. */
const V2_SCHEMA_KEYS = [
  'type', 'format', 'items', 'enum', 'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength',
  'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'x-nullable',
];

/** What an operation's inputs have become so far. */
export class ToolInputs {
  /** One conversion for every input schema, so recursive ones share the input_schema's `$defs`. */
  readonly schemas: SchemaSession;
  readonly properties: Json = {};
  readonly required: string[] = [];
  readonly query: Record<string, ValueMapping> = {};
  readonly headers: Record<string, ValueMapping> = {};
  readonly form: Record<string, ValueMapping> = {};
  /** Path template placeholder → input property. */
  readonly pathParams = new Map<string, string>();
  readonly warnings: string[] = [];

  constructor(converter: SchemaConverter) {
    this.schemas = converter.session('request');
  }

  has(name: string): boolean {
    return Object.hasOwn(this.properties, name);
  }

  /** Adds a property under `name`, or `<prefix>_<name>` when the name is taken. */
  add(name: string, schema: Json, required: boolean, prefix: string): string {
    let property = name;
    if (this.has(property)) property = `${prefix}_${name}`;
    if (this.has(property)) throw new Unsupported(`has two inputs named ${name} that cannot be told apart`);
    Object.defineProperty(this.properties, property, { value: schema, enumerable: true, writable: true, configurable: true });
    if (required) this.required.push(property);
    return property;
  }
}

/** Path-level parameters, overridden by the operation's own of the same name and location. */
export function mergedParameters(pathItem: Json, operation: Json, converter: SchemaConverter): Json[] {
  const byKey = new Map<string, Json>();
  for (const list of [pathItem['parameters'], operation['parameters']]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const parameter = converter.deref<unknown>(raw);
      if (!isRecord(parameter) || typeof parameter['name'] !== 'string' || typeof parameter['in'] !== 'string') {
        throw new Unsupported('has a parameter without a name or location');
      }
      byKey.set(`${parameter['in']}\u0000${parameter['name']}`, parameter);
    }
  }
  return [...byKey.values()];
}

/**
 * `in:name` of the document's API-key security schemes: those parameters are the credential the
 * connector injects, never a tool input.
 */
export function credentialParameters(document: Json, converter: SchemaConverter): Set<string> {
  const schemes = converter.dialect === '2.0' ? document['securityDefinitions'] : isRecord(document['components']) ? document['components']['securitySchemes'] : undefined;
  const found = new Set<string>();
  if (!isRecord(schemes)) return found;
  for (const raw of Object.values(schemes)) {
    let scheme: unknown;
    try {
      scheme = converter.deref(raw);
    } catch {
      continue;
    }
    if (isRecord(scheme) && scheme['type'] === 'apiKey' && typeof scheme['name'] === 'string' && typeof scheme['in'] === 'string') {
      found.add(credentialKey(scheme['in'], scheme['name']));
    }
  }
  return found;
}

export const credentialKey = (location: string, name: string): string => `${location}:${location === 'header' ? name.toLowerCase() : name}`;

export function addParameter(parameter: Json, inputs: ToolInputs, converter: SchemaConverter, context: ToolContext, credentials: ReadonlySet<string> = new Set()): void {
  const name = parameter['name'] as string;
  const location = parameter['in'] as string;
  const required = location === 'path' || parameter['required'] === true;
  const leaveOut = (why: string) => {
    if (required) throw new Unsupported(`has the required ${location} parameter ${name}, which ${why}`);
    inputs.warnings.push(`${location} parameter ${name} left out: it ${why}`);
  };
  if (location === 'cookie') return leaveOut('is a cookie (tools send no cookies)');
  if (location === 'body' || location === 'formData') return; // request-body.ts
  if (credentials.has(credentialKey(location, name))) {
    inputs.warnings.push(`${location} parameter ${name} left out: it is the API's credential, which the connector injects`);
    return;
  }
  if (location === 'header') {
    const lower = name.toLowerCase();
    // The credential is the connector's to inject; Content-Type follows the body.
    if (lower === context.credentialHeader || lower === 'content-type' || !new RegExp(HEADER_TOKEN_PATTERN).test(name) || droppedByProxy(lower)) {
      inputs.warnings.push(`header parameter ${name} left out: the proxy sets or never forwards it`);
      return;
    }
  }
  if (location === 'query' && context.credentialQueryParam === name) {
    inputs.warnings.push(`query parameter ${name} left out: it carries the connector's credential`);
    return;
  }
  const style = mappingStyle(parameter, converter);
  if (style === null) return leaveOut(`uses a serialization tools cannot send (${describeStyle(parameter, converter)})`);
  const schema = parameterSchema(parameter, converter, inputs);
  if (schema === null) return leaveOut('is described by content rather than a schema');
  const property = inputs.add(name, schema, required, location);
  const mapping: ValueMapping = style === 'repeat' ? { from: property } : { from: property, style };
  if (location === 'path') inputs.pathParams.set(name, property);
  else if (location === 'query') inputs.query[name] = mapping;
  else if (location === 'header') inputs.headers[name] = { from: property };
  else throw new Unsupported(`has a parameter in an unknown location (${location})`);
}

/** The parameter's schema in 2020-12, with the parameter's own description and deprecation. */
export function parameterSchema(parameter: Json, converter: SchemaConverter, inputs: ToolInputs): Json | null {
  let source: unknown;
  if (converter.dialect === '2.0') {
    source = Object.fromEntries(V2_SCHEMA_KEYS.filter((key) => parameter[key] !== undefined).map((key) => [key, parameter[key]]));
  } else if (parameter['schema'] !== undefined) {
    source = parameter['schema'];
  } else {
    return null;
  }
  const schema = inputs.schemas.convert(source);
  const description = typeof parameter['description'] === 'string' && parameter['description'].trim() !== '' ? parameter['description'].trim() : undefined;
  const extra: Json = {};
  if (description !== undefined) extra['description'] = description;
  if (parameter['deprecated'] === true) extra['deprecated'] = true;
  if (converter.dialect !== '2.0' && parameter['example'] !== undefined && schema['examples'] === undefined) extra['examples'] = [parameter['example']];
  return { ...schema, ...extra };
}

/** repeat / comma / deep_object, or null when the style has no faithful rendering. */
function mappingStyle(parameter: Json, converter: SchemaConverter): ValueMapping['style'] | 'repeat' | null {
  const location = parameter['in'];
  if (converter.dialect === '2.0') {
    const format = parameter['collectionFormat'] ?? 'csv';
    if (parameter['type'] !== 'array') return 'repeat';
    if (location === 'query' || location === 'formData') return format === 'multi' ? 'repeat' : format === 'csv' ? 'comma' : null;
    return format === 'csv' ? 'comma' : null;
  }
  const schema = parameter['schema'] === undefined ? {} : converter.deref<Json>(parameter['schema']);
  const type = isRecord(schema) ? schema['type'] : undefined;
  const structured = type === 'array' || type === 'object';
  // Only arrays of scalars have a text form here (repeated or comma-joined).
  if (type === 'array' && isRecord(schema) && schema['items'] !== undefined) {
    const items = converter.deref<Json>(schema['items']);
    if (isRecord(items) && (items['type'] === 'object' || items['type'] === 'array' || isRecord(items['properties']))) return null;
  }
  const style = parameter['style'];
  // One path segment or header value each: a placeholder takes a scalar (tool-rules.ts refuses the rest).
  if (location === 'path' || location === 'header') return style === undefined || style === 'simple' ? (type === 'object' ? null : 'repeat') : null;
  if (location === 'query') {
    if (style === 'deepObject') return type === 'object' || type === undefined ? 'deep_object' : null;
    if (style !== undefined && style !== 'form') return structured ? null : 'repeat';
    const explode = parameter['explode'] ?? true;
    if (type === 'object') return null; // form objects spread their members as parameters
    return explode === false ? 'comma' : 'repeat';
  }
  return 'repeat';
}

function describeStyle(parameter: Json, converter: SchemaConverter): string {
  if (converter.dialect === '2.0') return `collectionFormat ${String(parameter['collectionFormat'] ?? 'csv')}`;
  const schema = parameter['schema'] === undefined ? {} : converter.deref<Json>(parameter['schema']);
  const type = isRecord(schema) && typeof schema['type'] === 'string' ? schema['type'] : 'value';
  const style = String(parameter['style'] ?? (parameter['in'] === 'query' ? 'form' : 'simple'));
  return `style ${style}${parameter['explode'] === true ? ', exploded' : ''} on a parameter of type ${type}`;
}

function droppedByProxy(lower: string): boolean {
  return Object.keys(forwardableRequestHeaders({ [lower]: 'x' })).length === 0;
}
