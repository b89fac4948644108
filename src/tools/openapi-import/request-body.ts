/**
 * An operation's request body → input properties and the template's `body`. A JSON or form body
 * whose schema is a plain object is flattened: its members become inputs beside the parameters
 * (what a model fills most reliably); any other schema (an array, a `oneOf`) is one `body` input.
 * Text bodies are a string input, other media types a base64 string. multipart/form-data (file
 * uploads) has no rendering: an operation that only takes it is unsupported.
 */
import type { BodyTemplate, ValueMapping } from '../definition-schema.ts';
import { escapeToken } from '../json-pointer.ts';
import { parameterSchema, type ToolInputs } from './parameters.ts';
import { type SchemaConverter, Unsupported } from './schema-convert.ts';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

const JSON_MEDIA = /^application\/(?:[\w.-]+\+)?json(?:\s*;.*)?$/i;
const FORM_MEDIA = /^application\/x-www-form-urlencoded(?:\s*;.*)?$/i;
const MULTIPART_MEDIA = /^multipart\//i;
const TEXT_MEDIA = /^text\//i;
const CONCRETE_MEDIA = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+$/;
const COMPOSITION = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'patternProperties'];

type Encoding = BodyTemplate['encoding'];

/** OpenAPI 3.x `requestBody`. */
export function addRequestBody(operation: Json, inputs: ToolInputs, converter: SchemaConverter): BodyTemplate | undefined {
  if (operation['requestBody'] === undefined) return undefined;
  const body = converter.deref<Json>(operation['requestBody']);
  const content = isRecord(body['content']) ? body['content'] : {};
  const chosen = chooseMedia(Object.keys(content));
  if (chosen === null) {
    if (Object.keys(content).some((media) => MULTIPART_MEDIA.test(media))) {
      throw new Unsupported('takes only a multipart/form-data body (file uploads), which tools cannot send');
    }
    throw new Unsupported(`has a request body with no media type tools can send (${Object.keys(content).join(', ') || 'none'})`);
  }
  const media = isRecord(content[chosen.media]) ? (content[chosen.media] as Json) : {};
  const required = body['required'] === true;
  const description = typeof body['description'] === 'string' ? body['description'].trim() : undefined;
  const encodings = isRecord(media['encoding']) ? media['encoding'] : {};
  return bodyFrom(chosen.encoding, chosen.media, media['schema'], { required, description, encodings }, inputs, converter);
}

/** Swagger 2.0: an `in: body` parameter, or `in: formData` parameters. */
export function addSwaggerBody(parameters: readonly Json[], consumes: readonly string[], inputs: ToolInputs, converter: SchemaConverter): BodyTemplate | undefined {
  const bodyParameter = parameters.find((p) => p['in'] === 'body');
  const formParameters = parameters.filter((p) => p['in'] === 'formData');
  if (bodyParameter !== undefined) {
    const media = consumes.find((m) => JSON_MEDIA.test(m)) ?? (consumes.length === 0 ? 'application/json' : consumes[0]!);
    const chosen = chooseMedia([media]);
    if (chosen === null) throw new Unsupported(`has a request body with no media type tools can send (${media})`);
    const description = typeof bodyParameter['description'] === 'string' ? bodyParameter['description'].trim() : undefined;
    return bodyFrom(chosen.encoding, chosen.media, bodyParameter['schema'], { required: bodyParameter['required'] === true, description, encodings: {} }, inputs, converter);
  }
  if (formParameters.length === 0) return undefined;
  if (formParameters.some((p) => p['type'] === 'file') || (consumes.length > 0 && !consumes.some((m) => FORM_MEDIA.test(m)))) {
    throw new Unsupported('takes a multipart/form-data body (file uploads), which tools cannot send');
  }
  const properties: Record<string, ValueMapping> = {};
  for (const parameter of formParameters) {
    const name = parameter['name'] as string;
    const schema = parameterSchema(parameter, converter, inputs);
    if (schema === null) continue;
    const property = inputs.add(name, schema, parameter['required'] === true, 'form');
    const format = parameter['collectionFormat'] ?? 'csv';
    if (parameter['type'] === 'array' && format !== 'multi' && format !== 'csv') {
      throw new Unsupported(`has the form field ${name} in collectionFormat ${String(format)}, which tools cannot send`);
    }
    properties[name] = parameter['type'] === 'array' && format === 'csv' ? { from: property, style: 'comma' } : { from: property };
  }
  return { encoding: 'form', properties };
}

interface BodyFacts {
  required: boolean;
  description: string | undefined;
  encodings: Json;
}

function bodyFrom(encoding: Encoding, media: string, rawSchema: unknown, facts: BodyFacts, inputs: ToolInputs, converter: SchemaConverter): BodyTemplate {
  const contentType = encoding === 'json' || encoding === 'form' ? {} : { content_type: CONCRETE_MEDIA.test(media) ? media : 'application/octet-stream' };
  if (encoding === 'text' || encoding === 'binary') {
    const schema: Json =
      encoding === 'text'
        ? { type: 'string', description: facts.description || `The request body (${media}).` }
        : { type: 'string', contentEncoding: 'base64', description: `${facts.description ? `${facts.description} ` : ''}The request body (${media}), base64-encoded.` };
    const property = inputs.add('body', schema, facts.required, 'request');
    return { encoding, ...contentType, from: property };
  }
  const target = rawSchema === undefined ? {} : converter.deref<unknown>(rawSchema);
  if (isFlat(target)) {
    const converted = inputs.schemas.convert(rawSchema);
    const properties = isRecord(converted['properties']) ? converted['properties'] : {};
    const required = new Set(Array.isArray(converted['required']) ? converted['required'] : []);
    const members: Record<string, ValueMapping> = {};
    for (const [name, schema] of Object.entries(properties)) {
      const property = inputs.add(name, schema as Json, facts.required && required.has(name), 'body');
      members[encoding === 'json' ? escapeToken(name) : name] = { from: property, ...(encoding === 'form' ? formStyle(facts.encodings[name], schema) : {}) };
    }
    return { encoding, properties: members };
  }
  const schema = inputs.schemas.convert(rawSchema ?? {});
  const described = facts.description && schema['description'] === undefined ? { ...schema, description: facts.description } : schema;
  const property = inputs.add('body', described, facts.required, 'request');
  return { encoding, from: property };
}

/** A plain object schema whose members can become inputs one by one. */
function isFlat(schema: unknown): boolean {
  if (!isRecord(schema) || !isRecord(schema['properties']) || Object.keys(schema['properties']).length === 0) return false;
  if (schema['type'] !== undefined && schema['type'] !== 'object') return false;
  return COMPOSITION.every((key) => schema[key] === undefined);
}

/** A form field's OpenAPI encoding (style/explode) as a template style. */
function formStyle(encoding: unknown, schema: unknown): Pick<ValueMapping, 'style'> {
  const type = isRecord(schema) ? schema['type'] : undefined;
  if (!isRecord(encoding)) return type === 'object' ? { style: 'deep_object' } : {};
  if (encoding['style'] === 'deepObject' || type === 'object') return { style: 'deep_object' };
  return encoding['explode'] === false ? { style: 'comma' } : {};
}

/** JSON first, then form, then text, then any other concrete type as bytes; never multipart. */
function chooseMedia(types: readonly string[]): { media: string; encoding: Encoding } | null {
  const pick = (test: (media: string) => boolean, encoding: Encoding) => {
    const media = types.find(test);
    return media === undefined ? null : { media, encoding };
  };
  return (
    pick((m) => /^application\/json(?:\s*;.*)?$/i.test(m), 'json') ??
    pick((m) => JSON_MEDIA.test(m), 'json') ??
    pick((m) => FORM_MEDIA.test(m), 'form') ??
    pick((m) => TEXT_MEDIA.test(m), 'text') ??
    pick((m) => !MULTIPART_MEDIA.test(m), 'binary')
  );
}

