import { executeTool, type ExecuteToolOptions } from './execute-tool.ts';
import { type CallOptions, segment, type Transport } from './transport.ts';
import {
  type AvailableTool,
  type ScopedTool,
  type Tool,
  type ToolExecution,
  type ToolImportResult,
  toAvailableTool,
  toScopedTool,
  toTool,
  toToolImportResult,
} from './tool-types.ts';
import { Toolkit } from './toolkit.ts';

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

/** Filters of `listScoped` and `listAvailable`, flat or under `filter` as the reference SDK passes them. */
export interface IdentifierToolsOptions extends CallOptions, IdentifierToolFilter {
  filter?: IdentifierToolFilter;
  pageSize?: number;
  pageToken?: string;
}

export interface IdentifierToolFilter {
  /** Only these connections (at most 20). */
  connectionNames?: string[];
  /** Only these connectors (identifiers, case-insensitive). */
  providers?: string[];
  toolNames?: string[];
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

  /**
   * One page of the tools `identifier` can call now: those of its ACTIVE accounts' connections,
   * each with the connection and account it runs through.
   *
   * @example
   * const { tools } = await client.tools.listScoped('user_123', { connectionNames: ['github'] });
   */
  async listScoped(identifier: string, options: IdentifierToolsOptions = {}): Promise<{ tools: ScopedTool[]; totalSize: number; nextPageToken: string | null }> {
    const body = await this.#identifierPage('/api/v1/tools/scoped', identifier, options);
    return { tools: body.tools.map(toScopedTool), totalSize: body.total_size, nextPageToken: body.next_page_token };
  }

  /** The reference SDK's name for `listScoped`. */
  listScopedTools(identifier: string, options: IdentifierToolsOptions = {}): Promise<{ tools: ScopedTool[]; totalSize: number; nextPageToken: string | null }> {
    return this.listScoped(identifier, options);
  }

  /**
   * One page of the tools of every enabled connection, whether or not `identifier` has connected
   * there, each with its account status (null: not connected): what to send an authorization link for.
   */
  async listAvailable(identifier: string, options: IdentifierToolsOptions = {}): Promise<{ tools: AvailableTool[]; totalSize: number; nextPageToken: string | null }> {
    const body = await this.#identifierPage('/api/v1/tools/available', identifier, options);
    return { tools: body.tools.map(toAvailableTool), totalSize: body.total_size, nextPageToken: body.next_page_token };
  }

  /** The reference SDK's name for `listAvailable`. */
  listAvailableTools(identifier: string, options: IdentifierToolsOptions = {}): Promise<{ tools: AvailableTool[]; totalSize: number; nextPageToken: string | null }> {
    return this.listAvailable(identifier, options);
  }

  /** Runs a tool as a user; the same call as `client.actions.executeTool`. */
  executeTool<T = unknown>(options: ExecuteToolOptions): Promise<ToolExecution<T>> {
    return executeTool<T>(this.#transport, options);
  }

  /**
   * Every tool `identifier` can call now (all pages of `listScoped`), ready to hand to a model:
   * `toolkit.openAIChatTools()`, `anthropicTools()`, `vercelAITools()`, … and to answer its
   * tool calls (`toolkit.openAIChatToolMessage(call)`, …), each run through `executeTool` on the
   * account the tool was listed with.
   *
   * @example
   * const toolkit = await client.tools.toolkit('user_123');
   * const completion = await openai.chat.completions.create({ model, messages, tools: toolkit.openAIChatTools() });
   */
  async toolkit(identifier: string, options: Omit<IdentifierToolsOptions, 'pageToken'> = {}): Promise<Toolkit> {
    const scoped: ScopedTool[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.listScoped(identifier, { pageSize: 100, ...options, ...(pageToken ? { pageToken } : {}) });
      scoped.push(...page.tools);
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    return new Toolkit({ executeTool: (o) => this.executeTool(o) }, scoped, { identifier });
  }

  async #identifierPage(path: string, identifier: string, options: IdentifierToolsOptions): Promise<{ tools: object[]; total_size: number; next_page_token: string | null }> {
    if (typeof identifier !== 'string' || identifier === '') throw new TypeError('listScoped / listAvailable: identifier is required');
    const filter = { ...options.filter, ...pickFilter(options) };
    return this.#transport.json('GET', path, {
      ...options,
      query: {
        identifier,
        connection_names: filter.connectionNames,
        providers: filter.providers,
        tool_names: filter.toolNames,
        page_size: options.pageSize,
        page_token: options.pageToken,
      },
    });
  }

  /** The reference SDK's name for `list`. */
  listTools(options: ListToolsOptions = {}): ReturnType<Tools['list']> {
    return this.list(options);
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

function pickFilter(options: IdentifierToolFilter): IdentifierToolFilter {
  return {
    ...(options.connectionNames ? { connectionNames: options.connectionNames } : {}),
    ...(options.providers ? { providers: options.providers } : {}),
    ...(options.toolNames ? { toolNames: options.toolNames } : {}),
  };
}
