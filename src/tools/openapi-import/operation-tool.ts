/** One OpenAPI operation → one tool definition, or Unsupported with the reason. */
import type { RequestTemplate, ToolDefinition } from '../definition-schema.ts';
import { parsePathTemplate } from '../path-template.ts';
import type { ToolContext } from '../tool-context.ts';
import { toolProblems } from '../validate-tools.ts';
import { DESCRIPTION_MAX } from './limits.ts';
import type { Operation } from './operations.ts';
import { addParameter, mergedParameters, ToolInputs } from './parameters.ts';
import { addRequestBody, addSwaggerBody } from './request-body.ts';
import { type SchemaConverter, Unsupported } from './schema-convert.ts';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const JSON_MEDIA = /^application\/(?:[\w.-]+\+)?json(?:\s*;.*)?$/i;

export interface OperationContext {
  converter: SchemaConverter;
  tool: ToolContext;
  /** Prepended to every path: the server's base path when proxy_url does not already end with it. */
  pathPrefix: string;
  /** Swagger 2.0 document-level consumes/produces. */
  consumes: readonly string[];
  produces: readonly string[];
  /** The document's API-key parameters (`in:name`), left out of every tool. */
  credentials: ReadonlySet<string>;
}

export interface ConvertedOperation {
  tool: ToolDefinition;
  warnings: string[];
}

export function operationToTool(operation: Operation, name: string, context: OperationContext): ConvertedOperation {
  const { converter } = context;
  const method = operation.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST' && method !== 'PUT' && method !== 'PATCH' && method !== 'DELETE') {
    throw new Unsupported(`is a ${method} operation; tools are GET, POST, PUT, PATCH or DELETE`);
  }
  const inputs = new ToolInputs(converter);
  const parameters = mergedParameters(operation.pathItem, operation.operation, converter);
  // Path parameters first: they keep their names when another location repeats one.
  const order = ['path', 'query', 'header', 'cookie', 'body', 'formData'];
  for (const parameter of [...parameters].sort((a, b) => order.indexOf(String(a['in'])) - order.indexOf(String(b['in'])))) {
    addParameter(parameter, inputs, converter, context.tool, context.credentials);
  }
  if (method === 'GET' && (operation.operation['requestBody'] !== undefined || parameters.some((p) => p['in'] === 'body' || p['in'] === 'formData'))) {
    throw new Unsupported('is a GET with a request body, which tools do not send');
  }
  const consumes = stringList(operation.operation['consumes']) ?? context.consumes;
  const body = converter.dialect === '2.0' ? addSwaggerBody(parameters, consumes, inputs, converter) : addRequestBody(operation.operation, inputs, converter);

  const path = `${context.pathPrefix}${operation.path}`;
  const parsed = parsePathTemplate(path);
  if (!parsed.ok) throw new Unsupported(`has a path tools cannot use (${path}: ${parsed.message})`);
  let templatePath = path;
  for (const param of new Set(parsed.params)) {
    const property = inputs.pathParams.get(param);
    if (property === undefined) throw new Unsupported(`does not declare its path parameter {${param}}`);
    if (property !== param) templatePath = templatePath.split(`{${param}}`).join(`{${property}}`);
  }

  const request: RequestTemplate = {
    method,
    path: templatePath,
    ...(Object.keys(inputs.query).length > 0 ? { query: inputs.query } : {}),
    ...(Object.keys(inputs.headers).length > 0 ? { headers: inputs.headers } : {}),
    ...(body === undefined ? {} : { body }),
  };
  const defs = inputs.schemas.defs();
  const outputSchema = responseSchema(operation, context);
  const tool: ToolDefinition = {
    name,
    display_name: displayName(operation),
    description: description(operation),
    input_schema: {
      type: 'object',
      properties: inputs.properties,
      ...(inputs.required.length > 0 ? { required: inputs.required } : {}),
      ...(defs === undefined ? {} : { $defs: defs }),
    },
    ...(outputSchema === undefined ? {} : { output_schema: outputSchema }),
    ...(method === 'GET' ? { annotations: { read_only_hint: true } } : method === 'DELETE' ? { annotations: { destructive_hint: true } } : {}),
    ...(operation.tags.length > 0 ? { tags: tags(operation.tags) } : {}),
    request,
  };
  // What is stored is what the tools API would accept: anything else is a bug to report, not to save.
  const problems = toolProblems(structuredClone(tool), context.tool);
  if (problems.length > 0) throw new Unsupported(`converts to an invalid tool (${problems[0]!.path || '/'} ${problems[0]!.message})`);
  return { tool, warnings: inputs.warnings };
}

/** The first 2xx response with a JSON body, as documentation of the answer. */
function responseSchema(operation: Operation, context: OperationContext): Json | undefined {
  const { converter } = context;
  const responses = operation.operation['responses'];
  if (!isRecord(responses)) return undefined;
  const codes = Object.keys(responses)
    .filter((code) => /^2(?:\d\d|XX)$/i.test(code))
    .sort();
  for (const code of codes) {
    let response: Json;
    try {
      response = converter.deref<Json>(responses[code]);
    } catch {
      continue;
    }
    let schema: unknown;
    if (converter.dialect === '2.0') {
      const produces = stringList(operation.operation['produces']) ?? context.produces;
      if (produces.length > 0 && !produces.some((media) => JSON_MEDIA.test(media))) continue;
      schema = response['schema'];
    } else if (isRecord(response['content'])) {
      const media = Object.keys(response['content']).find((type) => JSON_MEDIA.test(type));
      schema = media === undefined ? undefined : (response['content'][media] as Json | undefined)?.['schema'];
    }
    if (schema === undefined) continue;
    try {
      return converter.convert(schema, 'response');
    } catch {
      return undefined; // documentation only: an odd response schema does not cost the tool
    }
  }
  return undefined;
}

function displayName(operation: Operation): string {
  const summary = oneLine(operation.operation['summary']);
  const text = summary || operation.operationId || operation.label;
  return text.length <= 100 ? text : `${text.slice(0, 99).trimEnd()}…`;
}

function description(operation: Operation): string {
  const summary = oneLine(operation.operation['summary']);
  const body = typeof operation.operation['description'] === 'string' ? operation.operation['description'].trim() : '';
  const parts = summary && body.startsWith(summary) ? [body] : [summary, body].filter((part) => part !== '');
  const text = parts.join('\n\n') || operation.label;
  if (text.length <= DESCRIPTION_MAX) return text;
  const cut = text.slice(0, DESCRIPTION_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > DESCRIPTION_MAX / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

function tags(list: readonly string[]): string[] {
  const clean = list.map((tag) => oneLine(tag).slice(0, 64)).filter((tag) => tag !== '');
  return [...new Set(clean)].slice(0, 20);
}

function oneLine(text: unknown): string {
  return typeof text === 'string' ? text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim() : '';
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}
