import { type CallOptions, segment, type Transport } from './transport.ts';
import { type Tool, type ToolImportResult, toTool, toToolImportResult } from './tool-types.ts';

export interface ListToolsOptions extends CallOptions {
  /** A connector identifier or id. */
  connector?: string;
  /** Connector identifiers (case-insensitive). */
  providers?: string[];
  toolNames?: string[];
  /** Text in the name, display name or description. */
  query?: string;
  /** Only names: `toolNames` is filled, `tools` is empty. */
  summary?: boolean;
  pageSize?: number;
  pageToken?: string;
}

export interface ImportToolsOptions extends CallOptions {
  /** Globs on operationId, tags or `METHOD /path`; none: every operation. */
  include?: string[];
  /** Only say what would be created or updated. */
  dryRun?: boolean;
  /** Import even if the document does not validate (operations are still converted one by one). */
  skipValidation?: boolean;
}

/** Tools: typed actions over connectors, built-in or your own. */
export class Tools {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * One page of tools, with the total across pages.
   *
   * @example
   * const { tools, totalSize } = await client.tools.list({ connector: 'github', query: 'issue' });
   */
  async list(options: ListToolsOptions = {}): Promise<{ tools: Tool[]; toolNames: string[]; totalSize: number; nextPageToken: string | null }> {
    const body = await this.#transport.json<{ tools: object[]; tool_names: string[]; total_size: number; next_page_token: string | null }>('GET', '/api/v1/tools', {
      ...options,
      query: {
        connector: options.connector,
        provider: options.providers,
        tool_name: options.toolNames,
        query: options.query,
        summary: options.summary,
        page_size: options.pageSize,
        page_token: options.pageToken,
      },
    });
    return { tools: body.tools.map(toTool), toolNames: body.tool_names, totalSize: body.total_size, nextPageToken: body.next_page_token };
  }

  async get(name: string, options: CallOptions = {}): Promise<Tool> {
    const body = await this.#transport.json<{ tool: object }>('GET', `/api/v1/tools/${segment(name)}`, options);
    return toTool(body.tool);
  }

  /**
   * Imports tools from an OpenAPI 3.0/3.1 or Swagger 2.0 document into a custom connector: one
   * per operation. Pass the document (JSON or YAML text, or the parsed JSON) or a URL the server
   * fetches. A large document takes a while: the default timeout here is five minutes.
   *
   * @example
   * const result = await client.tools.import('acme', { url: 'https://api.acme.example/openapi.json' }, { dryRun: true });
   * result.tools.map((t) => `${t.action} ${t.name}`);
   */
  async import(connector: string, source: { document: string | object } | { url: string }, options: ImportToolsOptions = {}): Promise<ToolImportResult> {
    const body = await this.#transport.json<object>('POST', `/api/v1/custom-providers/${segment(connector)}/tools/import`, {
      timeoutMs: 300_000,
      ...options,
      body: {
        ...('url' in source ? { url: source.url } : { document: source.document }),
        ...(options.include ? { include: options.include } : {}),
        ...(options.dryRun ? { dry_run: true } : {}),
        ...(options.skipValidation ? { skip_validation: true } : {}),
      },
    });
    return toToolImportResult(body);
  }
}
