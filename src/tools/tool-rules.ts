/**
 * Rules a JSON Schema cannot say about one tool: its name carries the connector prefix, every
 * placeholder and mapping names an input property, no header could carry a credential, the
 * schemas are valid JSON Schema 2020-12. They run on partly valid input too, so one answer lists
 * every problem (like the connector's definition-rules.ts).
 */
import { HEADER_TOKEN_PATTERN } from '../connectors/definition-schema.ts';
import type { Problem } from '../errors.ts';
import { forwardableRequestHeaders } from '../proxy/header-policy.ts';
import { TOOL_DEFINITION_MAX_BYTES } from './definition-schema.ts';
import { jsonSchemaProblems } from './json-schema-check.ts';
import { escapeToken, parsePointer, parseRelativePointer, RESERVED_KEYS } from './json-pointer.ts';
import { parsePathTemplate } from './path-template.ts';
import type { ToolContext } from './tool-context.ts';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const HEADER_TOKEN = new RegExp(HEADER_TOKEN_PATTERN);
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean']);

interface Inputs {
  properties: Map<string, unknown>;
  required: Set<string>;
}

export function toolRuleProblems(tool: Json, context: ToolContext, base: string): Problem[] {
  const problems: Problem[] = [];
  const name = tool['name'];
  if (typeof name === 'string' && !name.startsWith(`${context.prefix}_`)) {
    problems.push({ path: `${base}/name`, message: `must start with ${context.prefix}_ (the connector's identifier, then _ and the action)` });
  } else if (typeof name === 'string' && name.length === context.prefix.length + 1) {
    problems.push({ path: `${base}/name`, message: `must name an action after ${context.prefix}_` });
  }
  const inputs = schemaRules(tool, base, problems);
  const request = tool['request'];
  if (isRecord(request)) requestRules(request, inputs, context, `${base}/request`, problems);
  const output = tool['output'];
  if (isRecord(output)) outputRules(output, `${base}/output`, problems);
  if (problems.length === 0 && JSON.stringify(tool).length > TOOL_DEFINITION_MAX_BYTES) {
    problems.push({ path: base, message: `is larger than ${TOOL_DEFINITION_MAX_BYTES / 1024} KiB; shorten its schemas` });
  }
  return problems;
}

function schemaRules(tool: Json, base: string, problems: Problem[]): Inputs {
  const inputs: Inputs = { properties: new Map(), required: new Set() };
  const schema = tool['input_schema'];
  if (isRecord(schema)) {
    if (schema['type'] !== 'object') problems.push({ path: `${base}/input_schema/type`, message: 'must be "object": a tool takes named inputs' });
    problems.push(...jsonSchemaProblems(schema, `${base}/input_schema`));
    if (isRecord(schema['properties'])) for (const [key, value] of Object.entries(schema['properties'])) inputs.properties.set(key, value);
    if (Array.isArray(schema['required'])) for (const key of schema['required']) if (typeof key === 'string') inputs.required.add(key);
  }
  const output = tool['output_schema'];
  if (isRecord(output)) problems.push(...jsonSchemaProblems(output, `${base}/output_schema`));
  return inputs;
}

function requestRules(request: Json, inputs: Inputs, context: ToolContext, base: string, problems: Problem[]): void {
  const path = request['path'];
  if (typeof path === 'string') {
    const parsed = parsePathTemplate(path);
    if (!parsed.ok) {
      problems.push({ path: `${base}/path`, message: parsed.message });
    } else {
      for (const param of new Set(parsed.params)) {
        const message = !inputs.properties.has(param)
          ? `{${param}} names no property of input_schema`
          : !inputs.required.has(param)
            ? `{${param}} must be a required property of input_schema (a path segment cannot be left out)`
            : isStructured(inputs.properties.get(param))
              ? `{${param}} must be a string, number, integer or boolean property (one path segment)`
              : null;
        if (message) problems.push({ path: `${base}/path`, message });
      }
    }
  }
  const query = request['query'];
  if (isRecord(query)) {
    for (const [key, mapping] of Object.entries(query)) {
      const at = `${base}/query/${escapeToken(key)}`;
      if (/[\u0000-\u001f\u007f]/.test(key)) problems.push({ path: at, message: 'must not contain control characters' });
      if (context.credentialQueryParam !== null && key === context.credentialQueryParam) {
        problems.push({ path: at, message: `would carry the connector's credential (its auth_query_param ${key})` });
      }
      mappingRules(mapping, inputs, at, { scalarConstant: true, deepObject: true }, problems);
    }
  }
  headerRules(request['headers'], inputs, context, `${base}/headers`, problems);
  bodyRules(request, inputs, `${base}/body`, problems);
}

function headerRules(headers: unknown, inputs: Inputs, context: ToolContext, base: string, problems: Problem[]): void {
  if (!isRecord(headers)) return;
  const seen = new Set<string>();
  for (const [name, mapping] of Object.entries(headers)) {
    const at = `${base}/${escapeToken(name)}`;
    const lower = name.toLowerCase();
    const message = !HEADER_TOKEN.test(name)
      ? 'must be a header name (RFC 9110 token)'
      : lower === context.credentialHeader
        ? `would carry the connector's credential (${lower})`
        : lower === 'content-type'
          ? 'is set from request.body (encoding, content_type)'
          : droppedByProxy(lower)
            ? `cannot be ${name}: the proxy never forwards it (credentials, cookies, hop-by-hop and framing headers)`
            : seen.has(lower)
              ? `repeats the header ${lower} (header names are case-insensitive)`
              : null;
    if (message) problems.push({ path: at, message });
    seen.add(lower);
    mappingRules(mapping, inputs, at, { scalarConstant: true, deepObject: false, header: true }, problems);
  }
}

/** The proxy's own header policy decides: a header it would drop from a caller is no tool's either. */
function droppedByProxy(lower: string): boolean {
  return Object.keys(forwardableRequestHeaders({ [lower]: 'x' })).length === 0;
}

function bodyRules(request: Json, inputs: Inputs, base: string, problems: Problem[]): void {
  const body = request['body'];
  if (!isRecord(body)) return;
  if (request['method'] === 'GET') problems.push({ path: base, message: 'a GET request carries no body; map the inputs to query parameters' });
  const encoding = body['encoding'] ?? 'json';
  const from = body['from'];
  const properties = body['properties'];
  if (encoding === 'text' || encoding === 'binary') {
    if (typeof from !== 'string') problems.push({ path: base, message: `a ${encoding} body needs from: the input property that holds it` });
    if (properties !== undefined) problems.push({ path: `${base}/properties`, message: `a ${encoding} body is one input property (from), not members` });
  } else if ((from === undefined) === (properties === undefined)) {
    problems.push({ path: base, message: 'give exactly one of from (the whole body is one input property) or properties (its members)' });
  }
  if (typeof from === 'string' && !inputs.properties.has(from)) {
    problems.push({ path: `${base}/from`, message: `names no property of input_schema (${from})` });
  }
  if (!isRecord(properties)) return;
  const pointers: string[][] = [];
  for (const [key, mapping] of Object.entries(properties)) {
    const at = `${base}/properties/${escapeToken(key)}`;
    if (encoding === 'json') {
      const tokens = parseRelativePointer(key);
      if (tokens === null) problems.push({ path: at, message: 'must be a relative JSON pointer: member names joined by / (title, fields/summary)' });
      else if (tokens.some((token) => RESERVED_KEYS.has(token))) problems.push({ path: at, message: 'must not name __proto__, constructor or prototype' });
      else pointers.push(tokens);
    } else if (/[\u0000-\u001f\u007f]/.test(key)) {
      problems.push({ path: at, message: 'must not contain control characters' });
    }
    mappingRules(mapping, inputs, at, { scalarConstant: encoding !== 'json', deepObject: encoding === 'form' }, problems);
  }
  for (const tokens of pointers) {
    const clash = pointers.find((other) => other !== tokens && other.length > tokens.length && tokens.every((token, i) => other[i] === token));
    if (clash) problems.push({ path: `${base}/properties`, message: `${tokens.join('/')} and ${clash.join('/')} overlap: one body member would replace the other` });
  }
}

function mappingRules(
  mapping: unknown,
  inputs: Inputs,
  at: string,
  allow: { scalarConstant: boolean; deepObject: boolean; header?: boolean },
  problems: Problem[],
): void {
  if (!isRecord(mapping)) return;
  const hasFrom = mapping['from'] !== undefined;
  const hasValue = Object.hasOwn(mapping, 'value');
  if (hasFrom === hasValue) {
    problems.push({ path: at, message: 'give exactly one of from (an input property) or value (a constant)' });
    return;
  }
  if (hasFrom && typeof mapping['from'] === 'string' && !inputs.properties.has(mapping['from'])) {
    problems.push({ path: `${at}/from`, message: `names no property of input_schema (${mapping['from']})` });
  }
  if (hasValue) {
    const value = mapping['value'];
    if (allow.scalarConstant && !['string', 'number', 'boolean'].includes(typeof value)) {
      problems.push({ path: `${at}/value`, message: 'must be a string, number or boolean' });
    } else if (allow.header && typeof value === 'string' && /[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
      problems.push({ path: `${at}/value`, message: 'must not contain CR, LF or other control characters (it is a header value)' });
    }
    if (mapping['style'] !== undefined) problems.push({ path: `${at}/style`, message: 'applies to values from the input only' });
  }
  if (mapping['style'] === 'deep_object' && !allow.deepObject) {
    problems.push({ path: `${at}/style`, message: 'deep_object applies to query parameters and form fields only' });
  }
}

function outputRules(output: Json, base: string, problems: Problem[]): void {
  const root = output['root'];
  if (typeof root === 'string' && parsePointer(root) === null) {
    problems.push({ path: `${base}/root`, message: 'must be a JSON pointer: empty, or / followed by member names (/items)' });
  }
  const fields = output['fields'];
  if (Array.isArray(fields)) {
    fields.forEach((field, i) => {
      if (typeof field === 'string' && parseRelativePointer(field) === null) {
        problems.push({ path: `${base}/fields/${i}`, message: 'must be a relative JSON pointer: member names joined by / (*/title)' });
      }
    });
  }
}

/** A property whose schema says it is an object or an array (it cannot be one path segment). */
function isStructured(schema: unknown): boolean {
  if (!isRecord(schema)) return false;
  const type = schema['type'];
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  return types.length > 0 && types.every((t) => typeof t === 'string' && !SCALAR_TYPES.has(t) && t !== 'null');
}
