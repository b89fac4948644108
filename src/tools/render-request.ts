/**
 * A tool call's input → the upstream request it stands for (DESIGN.md §9). Pure: no I/O, no
 * credentials. The path is the template with each `{param}` percent-encoded as one segment, so
 * no input can add a segment, climb with `..` or name another host; the pipeline then joins it
 * to the connector's proxy_url with the proxy's own URL joiner (url-join.ts). Inputs that are
 * absent are left out of the query and body. Every problem is reported at once, each with the
 * JSON pointer of the input property at fault (TOOL_INPUT_INVALID); nothing is half-rendered.
 */
import { type Problem, ToolproxyError } from '../errors.ts';
import { isDotSegment } from '../proxy/url-join.ts';
import type { BodyTemplate, RequestTemplate, ToolDefinition, ToolMethod, ValueMapping } from './definition-schema.ts';
import { escapeToken, parseRelativePointer, setAt } from './json-pointer.ts';
import { type PathPart, parsePathTemplate } from './path-template.ts';
import { encodePairs, headerValue, pairs, pathSegment, type Rendered } from './render-values.ts';

export interface RenderedToolRequest {
  method: ToolMethod;
  /** Path and query relative to the connector's proxy_url, for `joinUpstreamUrl`. */
  pathAndQuery: string;
  /** Lower-cased names; never Content-Type (see contentType) nor a credential header. */
  headers: Record<string, string>;
  body: Buffer | null;
  /** The Content-Type of `body`; null when there is no body. */
  contentType: string | null;
}

const DEFAULT_CONTENT_TYPES = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
  text: 'text/plain; charset=utf-8',
  binary: 'application/octet-stream',
} as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Parsed path templates, per (cached, immutable) request template. */
const parsedPaths = new WeakMap<RequestTemplate, PathPart[]>();

export function renderToolRequest(tool: Pick<ToolDefinition, 'request'>, input: Record<string, unknown>): RenderedToolRequest {
  const template = tool.request;
  const problems: Problem[] = [];
  const path = renderPath(template, input, problems);
  const query = renderPairs(template.query, input, problems);
  const headers = renderHeaders(template.headers, input, problems);
  const body = template.body === undefined ? null : renderBody(template.body, input, problems);
  if (problems.length > 0) throw new ToolproxyError('TOOL_INPUT_INVALID', { details: { problems } });
  return {
    method: template.method,
    pathAndQuery: query === '' ? path : `${path}?${query}`,
    headers,
    body: body?.bytes ?? null,
    contentType: body === null ? null : (template.body?.content_type ?? DEFAULT_CONTENT_TYPES[template.body?.encoding ?? 'json']),
  };
}

function renderPath(template: RequestTemplate, input: Record<string, unknown>, problems: Problem[]): string {
  let parts = parsedPaths.get(template);
  if (parts === undefined) {
    const parsed = parsePathTemplate(template.path);
    // Definitions are validated before they are stored; a bad one here is a bug, not bad input.
    if (!parsed.ok) throw new ToolproxyError('TOOL_INVALID', { details: { problems: [{ path: '/request/path', message: parsed.message }] } });
    parts = parsed.parts;
    parsedPaths.set(template, parts);
  }
  let path = '';
  for (const part of parts) {
    if ('literal' in part) {
      path += part.literal;
      continue;
    }
    const value = own(input, part.param);
    const segment = value === undefined || value === null ? fail('is required: it fills a path segment') : pathSegment(value);
    if (segment.ok) path += segment.value;
    else problems.push({ path: pointer(part.param), message: segment.message });
  }
  // A literal next to a value (`/{a}.`), or a value with a path parameter (`..;x`), could still
  // spell a dot segment; the URL joiner's own rule decides, so it never refuses this path later.
  if (problems.length === 0 && path.split('/').some(isDotSegment)) {
    problems.push({ path: '', message: 'the path would contain a . or .. segment (also as .;x or %2e)' });
  }
  return path;
}

function renderPairs(mappings: Record<string, ValueMapping> | undefined, input: Record<string, unknown>, problems: Problem[]): string {
  if (mappings === undefined) return '';
  const list: Array<[string, string]> = [];
  for (const [name, mapping] of Object.entries(mappings)) {
    const value = resolve(mapping, input);
    if (value === undefined || value === null) continue;
    const rendered = pairs(name, value, mapping);
    if (rendered.ok) list.push(...rendered.value);
    else problems.push({ path: sourcePointer(mapping), message: rendered.message });
  }
  return encodePairs(list);
}

function renderHeaders(mappings: Record<string, ValueMapping> | undefined, input: Record<string, unknown>, problems: Problem[]): Record<string, string> {
  const headers: Record<string, string> = {};
  if (mappings === undefined) return headers;
  for (const [name, mapping] of Object.entries(mappings)) {
    const value = resolve(mapping, input);
    if (value === undefined || value === null) continue;
    const rendered = headerValue(name, value);
    if (rendered.ok) headers[name.toLowerCase()] = rendered.value;
    else problems.push({ path: sourcePointer(mapping), message: rendered.message });
  }
  return headers;
}

function renderBody(body: BodyTemplate, input: Record<string, unknown>, problems: Problem[]): { bytes: Buffer } | null {
  const encoding = body.encoding ?? 'json';
  if (encoding === 'text' || encoding === 'binary') {
    const value = body.from === undefined ? undefined : own(input, body.from);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      problems.push({ path: pointer(body.from!), message: 'must be a string: it is the request body' });
      return null;
    }
    if (encoding === 'text') return { bytes: Buffer.from(value, 'utf8') };
    if (!BASE64.test(value)) {
      problems.push({ path: pointer(body.from!), message: 'must be base64 (RFC 4648 §4): it is the binary request body' });
      return null;
    }
    return { bytes: Buffer.from(value, 'base64') };
  }
  if (encoding === 'form') return formBody(body, input, problems);
  if (body.from !== undefined) {
    const value = own(input, body.from);
    return value === undefined ? null : { bytes: Buffer.from(JSON.stringify(value), 'utf8') };
  }
  const document: Record<string, unknown> = {};
  for (const [member, mapping] of Object.entries(body.properties ?? {})) {
    const value = resolve(mapping, input);
    // null is sent: in a JSON body it means "clear this" (e.g. a milestone).
    if (value === undefined) continue;
    setAt(document, parseRelativePointer(member) ?? [member], value);
  }
  return { bytes: Buffer.from(JSON.stringify(document), 'utf8') };
}

function formBody(body: BodyTemplate, input: Record<string, unknown>, problems: Problem[]): { bytes: Buffer } | null {
  let mappings = body.properties;
  if (body.from !== undefined) {
    const value = own(input, body.from);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ path: pointer(body.from), message: 'must be an object: its members are the form fields' });
      return null;
    }
    mappings = Object.fromEntries(Object.keys(value).map((key) => [key, { value: (value as Record<string, unknown>)[key] }]));
  }
  const list: Array<[string, string]> = [];
  for (const [name, mapping] of Object.entries(mappings ?? {})) {
    const value = resolve(mapping, input);
    if (value === undefined || value === null) continue;
    const rendered = pairs(name, value, mapping);
    if (rendered.ok) list.push(...rendered.value);
    else problems.push({ path: body.from !== undefined ? `${pointer(body.from)}/${escapeToken(name)}` : sourcePointer(mapping), message: rendered.message });
  }
  return { bytes: Buffer.from(new URLSearchParams(list).toString(), 'utf8') };
}

function resolve(mapping: ValueMapping, input: Record<string, unknown>): unknown {
  return mapping.from !== undefined ? own(input, mapping.from) : mapping.value;
}

/** Only the input's own properties count: `toString` or `__proto__` are never "present". */
function own(input: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(input, name) ? input[name] : undefined;
}

const pointer = (name: string): string => `/${escapeToken(name)}`;
const sourcePointer = (mapping: ValueMapping): string => (mapping.from === undefined ? '' : pointer(mapping.from));
const fail = (message: string): Rendered<never> => ({ ok: false, message });
