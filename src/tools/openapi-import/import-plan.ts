/**
 * A parsed OpenAPI document → the tools it describes, for one connector (pure: no I/O). One tool
 * per operation; an operation that cannot become a tool is skipped with its reason, never
 * half-converted.
 */
import { ToolproxyError } from '../../errors.ts';
import type { ToolDefinition } from '../definition-schema.ts';
import type { ToolContext } from '../tool-context.ts';
import { OPENAPI_MAX_OPERATIONS } from './limits.ts';
import { operationToTool } from './operation-tool.ts';
import { includeFilter, listOperations, toolNames } from './operations.ts';
import { credentialParameters } from './parameters.ts';
import { type Dialect, SchemaConverter, Unsupported } from './schema-convert.ts';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

export interface ImportSkip {
  /** `GET /path` */
  operation: string;
  operation_id?: string;
  reason: string;
}

export interface ImportPlan {
  document: { title: string; version: string; specification: string; operations: number; selected: number; path_prefix: string };
  tools: ToolDefinition[];
  skipped: ImportSkip[];
  warnings: Array<{ tool: string; message: string }>;
}

export interface PlanOptions {
  context: ToolContext;
  /** The connector's proxy_url: the document's base path is prepended unless it already ends with it. */
  proxyUrl: string;
  include?: readonly string[];
}

/** Which OpenAPI a document is, or OPENAPI_INVALID. */
export function dialectOf(document: unknown): { dialect: Dialect; specification: string } {
  if (!isRecord(document)) throw invalid('the document is not an object');
  if (document['swagger'] === '2.0') return { dialect: '2.0', specification: 'Swagger 2.0' };
  const version = document['openapi'];
  if (typeof version === 'string' && /^3\.0\.\d+$/.test(version)) return { dialect: '3.0', specification: `OpenAPI ${version}` };
  if (typeof version === 'string' && /^3\.1\.\d+$/.test(version)) return { dialect: '3.1', specification: `OpenAPI ${version}` };
  throw invalid('the document is not OpenAPI 3.0, 3.1 or Swagger 2.0 (no "openapi": "3.x.y" or "swagger": "2.0")');
}

export function planImport(document: Json, options: PlanOptions): ImportPlan {
  const { dialect, specification } = dialectOf(document);
  // OpenAPI 3.1 may describe only webhooks or components; 2.0 and 3.0 require paths.
  if (!isRecord(document['paths']) && !(dialect === '3.1' && document['paths'] === undefined)) throw invalid('the document has no paths object');
  const converter = new SchemaConverter(document, dialect);
  const all = listOperations(document, converter);
  const selected = all.filter(includeFilter(options.include ?? []));
  if (selected.length > OPENAPI_MAX_OPERATIONS) {
    throw new ToolproxyError('OPENAPI_TOO_LARGE', {
      message: `${selected.length} operations are selected; at most ${OPENAPI_MAX_OPERATIONS} are imported at once. Narrow them with include.`,
      details: { limit: { operations: OPENAPI_MAX_OPERATIONS }, selected: selected.length },
    });
  }
  const serverPath = serverBasePath(document, dialect);
  const pathPrefix = proxyPath(options.proxyUrl).endsWith(serverPath) ? '' : serverPath;
  const mainOrigin = serverOrigin(document, dialect);
  const names = toolNames(options.context.prefix, selected);
  const plan: ImportPlan = {
    document: {
      title: text(isRecord(document['info']) ? document['info']['title'] : undefined),
      version: text(isRecord(document['info']) ? document['info']['version'] : undefined),
      specification,
      operations: all.length,
      selected: selected.length,
      path_prefix: pathPrefix,
    },
    tools: [],
    skipped: [],
    warnings: [],
  };
  const consumes = strings(document['consumes']);
  const produces = strings(document['produces']);
  const credentials = credentialParameters(document, converter);
  for (const [index, operation] of selected.entries()) {
    const skip = (reason: string) =>
      plan.skipped.push({ operation: operation.label, ...(operation.operationId ? { operation_id: operation.operationId } : {}), reason });
    const elsewhere = otherServer(operation, mainOrigin);
    if (elsewhere !== null) {
      skip(`is served from ${elsewhere}, not from the connector's proxy_url`);
      continue;
    }
    try {
      const converted = operationToTool(operation, names[index]!, { converter, tool: options.context, pathPrefix, consumes, produces, credentials });
      plan.tools.push(converted.tool);
      plan.warnings.push(...converted.warnings.map((message) => ({ tool: converted.tool.name, message })));
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      skip(error.message);
    }
  }
  return plan;
}

/** The path every operation path is relative to: `basePath` (2.0) or the first server's path. */
function serverBasePath(document: Json, dialect: Dialect): string {
  if (dialect === '2.0') return trimSlash(typeof document['basePath'] === 'string' ? document['basePath'] : '');
  const url = firstServerUrl(document['servers']);
  if (url === null) return '';
  try {
    return trimSlash(new URL(url, 'http://relative.invalid').pathname);
  } catch {
    return '';
  }
}

function serverOrigin(document: Json, dialect: Dialect): string | null {
  if (dialect === '2.0') return null;
  const url = firstServerUrl(document['servers']);
  if (url === null || !/^https?:\/\//i.test(url)) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** An operation (or its path) served from another origin than the document's: its URL, else null. */
function otherServer(operation: { pathItem: Json; operation: Json }, mainOrigin: string | null): string | null {
  const url = firstServerUrl(operation.operation['servers']) ?? firstServerUrl(operation.pathItem['servers']);
  if (url === null || !/^https?:\/\//i.test(url)) return null;
  try {
    const origin = new URL(url).origin;
    return mainOrigin === null || origin !== mainOrigin ? origin : null;
  } catch {
    return url.slice(0, 200);
  }
}

/** The first server's URL with its variables set to their defaults. */
function firstServerUrl(servers: unknown): string | null {
  if (!Array.isArray(servers) || !isRecord(servers[0]) || typeof servers[0]['url'] !== 'string') return null;
  const server = servers[0];
  const variables = isRecord(server['variables']) ? server['variables'] : {};
  return (server['url'] as string).replace(/\{([^}]+)\}/g, (_, name: string) => {
    const variable = variables[name];
    return isRecord(variable) && typeof variable['default'] === 'string' ? variable['default'] : name;
  });
}

function proxyPath(proxyUrl: string): string {
  try {
    return trimSlash(new URL(proxyUrl.replace(/\{\{[^{}]*\}\}/g, 'x')).pathname);
  } catch {
    return '';
  }
}

const trimSlash = (path: string): string => path.replace(/\/+$/, '');
const text = (value: unknown): string => (typeof value === 'string' ? value.slice(0, 200) : '');
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

function invalid(reason: string): ToolproxyError {
  return new ToolproxyError('OPENAPI_INVALID', { details: { problems: [{ path: '', message: reason }] } });
}
