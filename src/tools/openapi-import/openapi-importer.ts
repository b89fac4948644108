import type { ChangeFeed } from '../../changes.ts';
import type { Clock } from '../../clock.ts';
import type { ConnectorsService } from '../../connectors/connectors-service.ts';
import { ToolproxyError } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import { toolContext } from '../tool-context.ts';
import { writeConnectorTools } from '../tool-writes.ts';
import { dialectOf, type ImportPlan, type ImportSkip, planImport } from './import-plan.ts';
import { fetchDocumentText, parseDocumentText } from './read-document.ts';

export interface ImportRequest {
  /** The document: JSON or YAML text, or already-parsed JSON. */
  document?: unknown;
  /** Where to fetch the document (through the egress policy). */
  url?: string | undefined;
  /** Globs matched against operationId, tags and `METHOD /path`; none: every operation. */
  include?: readonly string[] | undefined;
  dryRun?: boolean | undefined;
  /** Import a document the parser finds invalid (its operations are still converted one by one). */
  skipValidation?: boolean | undefined;
}

export interface ImportResult {
  dry_run: boolean;
  connector: string;
  document: ImportPlan['document'];
  tools: Array<{ name: string; method: string; path: string; action: 'create' | 'update' | 'unchanged' }>;
  created: number;
  updated: number;
  unchanged: number;
  skipped: ImportSkip[];
  warnings: ImportPlan['warnings'];
}

const MAX_VALIDATION_PROBLEMS = 20;

/**
 * Imports tools from an OpenAPI 3.0/3.1 or Swagger 2.0 document into a custom connector: one
 * tool per operation (import-plan.ts). All of them are written in one transaction, or none; a
 * dry run says what would be. Importing the same document again updates the same tools.
 */
export class OpenApiImporter {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #connectors: ConnectorsService;
  readonly #fetch: typeof globalThis.fetch;

  constructor(deps: { store: Store; clock: Clock; changes: ChangeFeed; connectors: ConnectorsService; fetch: typeof globalThis.fetch }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#connectors = deps.connectors;
    this.#fetch = deps.fetch;
  }

  async import(connectorRef: string, request: ImportRequest): Promise<ImportResult> {
    const connector = await this.#connectors.load(connectorRef);
    if (connector.row.origin === 'catalog') {
      throw new ToolproxyError('TOOL_BUILT_IN', { message: `${connector.row.identifier} is a built-in connector: import into a custom connector.`, details: { connector: connector.row.identifier } });
    }
    if ((request.document === undefined) === (request.url === undefined)) {
      throw new ToolproxyError('VALIDATION_FAILED', { details: { problems: [{ path: '', message: 'send exactly one of document (the OpenAPI document) or url (where to fetch it)' }] } });
    }
    const source = request.url !== undefined ? await fetchDocumentText(request.url, this.#fetch) : request.document;
    const document = typeof source === 'string' ? parseDocumentText(source) : asObject(source);
    dialectOf(document);
    if (!request.skipValidation) await assertValidDocument(document);

    const plan = planImport(document, { context: toolContext(connector.row.identifier, connector.pattern), proxyUrl: connector.definition.proxy_url, include: request.include ?? [] });
    const skipped = [...plan.skipped];
    const taken = await this.#takenElsewhere(connector.row.id, plan.tools.map((tool) => tool.name));
    const tools = plan.tools.filter((tool) => {
      const holder = taken.get(tool.name);
      if (holder !== undefined) skipped.push({ operation: `${tool.request.method} ${tool.request.path}`, reason: `would be named ${tool.name}, which the connector ${holder} already uses` });
      return holder === undefined;
    });
    const existing = new Map((await this.#store.tools.listForConnector(connector.row.id)).map((row) => [row.name, row]));
    const listed = tools.map((tool) => {
      const current = existing.get(tool.name);
      const action = current === undefined ? 'create' : current.definition === JSON.stringify(tool) && current.origin === 'openapi' ? 'unchanged' : 'update';
      return { name: tool.name, method: tool.request.method, path: tool.request.path, action } as const;
    });
    if (!request.dryRun && tools.length > 0) {
      const now = this.#clock();
      await this.#store.transaction((repos) => writeConnectorTools(repos, connector.row.id, tools, { origin: 'openapi', now, removeOthers: false }));
      this.#changes.configChanged();
    }
    const count = (action: string) => listed.filter((tool) => tool.action === action).length;
    return {
      dry_run: request.dryRun === true,
      connector: connector.row.identifier,
      document: plan.document,
      tools: listed,
      created: count('create'),
      updated: count('update'),
      unchanged: count('unchanged'),
      skipped,
      warnings: plan.warnings,
    };
  }

  /** Names another connector already uses, with that connector's identifier. */
  async #takenElsewhere(connectorId: string, names: readonly string[]): Promise<Map<string, string>> {
    const owners = (await this.#store.tools.owners(names)).filter((owner) => owner.connector_id !== connectorId);
    const identifiers = new Map<string, string>();
    for (const id of new Set(owners.map((owner) => owner.connector_id))) {
      identifiers.set(id, (await this.#store.connectors.find(id))?.identifier ?? id);
    }
    return new Map(owners.map((owner) => [owner.name, identifiers.get(owner.connector_id)!]));
  }
}

/**
 * The maintained parser's verdict (@readme/openapi-parser): the Swagger/OpenAPI schema plus the
 * rules it cannot express (duplicate operationIds, undeclared path parameters, …). External
 * `$ref`s are never resolved: the document may not make this server fetch anything.
 */
async function assertValidDocument(document: Record<string, unknown>): Promise<void> {
  // Loaded on the first import, not at start: a server that never imports does not hold it (bench/README.md, "Idle RSS").
  const { validate } = await import('@readme/openapi-parser');
  let result;
  try {
    result = await validate(document as never, { resolve: { external: false, file: false } });
  } catch (error) {
    throw new ToolproxyError('OPENAPI_INVALID', { details: { problems: [{ path: '', message: error instanceof Error ? error.message.slice(0, 500) : 'cannot be read' }] } });
  }
  if (result.valid) return;
  const problems = result.errors.slice(0, MAX_VALIDATION_PROBLEMS).map((error) => ({ path: '', message: error.message.slice(0, 500) }));
  const more = result.errors.length - problems.length + result.additionalErrors;
  throw new ToolproxyError('OPENAPI_INVALID', {
    message: 'The OpenAPI document does not validate; see details (send skip_validation: true to import what can be converted anyway).',
    details: { problems, ...(more > 0 ? { more } : {}) },
  });
}

function asObject(source: unknown): Record<string, unknown> {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    throw new ToolproxyError('OPENAPI_INVALID', { details: { problems: [{ path: '/document', message: 'must be an OpenAPI document: an object, or its JSON or YAML text' }] } });
  }
  return source as Record<string, unknown>;
}
