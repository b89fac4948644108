import { randomUUID } from 'node:crypto';
import type { Problem } from '../../src/errors.ts';
import type { JsonSchemaObject, McpScope, McpToolProvider, McpToolView, ToolOutcome } from '../../src/mcp/tool-provider.ts';

/** A tool of the test provider: a request template over the connection's upstream. */
export interface TestTool {
  name: string;
  connection: string;
  description: string;
  method: 'GET' | 'POST';
  path: string;
  inputSchema: JsonSchemaObject;
  outputSchema?: JsonSchemaObject;
}

/**
 * A real McpToolProvider for tests, standing in for the tools service (issue 12): it runs each
 * tool through toolproxy's own `/proxy` (the one pipeline: account resolution, credential
 * injection, egress policy) against a loopback upstream, with an app token, exactly as a tools
 * executor would. Nothing here returns constants; what the upstream received is asserted.
 */
export class LoopbackToolProvider implements McpToolProvider {
  readonly calls: Array<{ scope: McpScope; name: string; args: Record<string, unknown> }> = [];
  readonly listed: McpScope[] = [];
  #server: { url: string; token(): Promise<string> } | undefined;
  readonly #tools: readonly TestTool[];

  constructor(tools: readonly TestTool[]) {
    this.#tools = tools;
  }

  /** The server to call, once it is listening (it is built with this provider). */
  attach(server: { url: string; token(): Promise<string> }): void {
    this.#server = server;
  }

  async list(scope: McpScope): Promise<McpToolView[]> {
    this.listed.push(scope);
    return this.#tools
      .filter((tool) => this.#inScope(scope, tool))
      .map((tool) => ({
        name: tool.name,
        description: tool.description,
        inputSchema: tool.inputSchema,
        ...(tool.outputSchema ? { outputSchema: tool.outputSchema } : {}),
        connectionName: tool.connection,
      }));
  }

  async call(scope: McpScope, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome> {
    this.calls.push({ scope, name, args });
    const tool = this.#tools.find((t) => t.name === name && this.#inScope(scope, t));
    if (!tool) return { kind: 'unknown_tool' };
    const problems = inputProblems(tool.inputSchema, args);
    if (problems.length > 0) return { kind: 'invalid_input', problems };
    const server = this.#server!;
    const response = await fetch(`${server.url}/proxy${tool.path}`, {
      method: tool.method,
      headers: {
        authorization: `Bearer ${await server.token()}`,
        connection_name: tool.connection,
        identifier: scope.identifier,
        ...(tool.method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      ...(tool.method === 'POST' ? { body: JSON.stringify(args) } : {}),
      signal,
    });
    const text = await response.text();
    const data = text ? (JSON.parse(text) as unknown) : null;
    const code = response.headers.get('x-toolproxy-error');
    if (code === 'ACCOUNT_NOT_ACTIVE' || code === 'ACCOUNT_NOT_FOUND' || code === 'ACCOUNT_EXPIRED') {
      return { kind: 'not_authorized', connectionName: tool.connection, accountStatus: null };
    }
    if (code) return { kind: 'refused', code: code as never, message: (data as { error: { message: string } }).error.message };
    const executionId = randomUUID();
    if (response.ok) return { kind: 'ok', data, executionId, structured: tool.outputSchema !== undefined };
    return { kind: 'upstream_error', status: response.status, data, executionId };
  }

  #inScope(scope: McpScope, tool: TestTool): boolean {
    return scope.mappings.some((m) => m.connectionName === tool.connection && (m.tools.length === 0 || m.tools.includes(tool.name)));
  }
}

/** Required properties and string types: enough validation for the test tools. */
function inputProblems(schema: JsonSchemaObject, args: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  for (const name of schema.required ?? []) if (!(name in args)) problems.push({ path: `/${name}`, message: 'is required' });
  for (const [name, value] of Object.entries(args)) {
    const property = schema.properties?.[name] as { type?: string } | undefined;
    if (!property) problems.push({ path: `/${name}`, message: 'is not a known property' });
    else if (property.type === 'string' && typeof value !== 'string') problems.push({ path: `/${name}`, message: 'must be a string' });
  }
  return problems;
}

/** The tools of the MCP tests: `acme` (API key) and `beta` (bearer) connections over one upstream. */
export const TEST_TOOLS: readonly TestTool[] = [
  {
    name: 'acme_list_customers',
    connection: 'acme',
    description: 'List the customers.',
    method: 'GET',
    path: '/v1/customers',
    inputSchema: { type: 'object', properties: {} },
    outputSchema: { type: 'object', properties: { data: { type: 'array' }, has_more: { type: 'boolean' } }, required: ['data'] },
  },
  {
    name: 'acme_create_customer',
    connection: 'acme',
    description: 'Create a customer.',
    method: 'POST',
    path: '/v1/customers',
    inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  },
  { name: 'acme_broken', connection: 'acme', description: 'Always fails upstream.', method: 'GET', path: '/v1/broken', inputSchema: { type: 'object', properties: {} } },
  { name: 'beta_me', connection: 'beta', description: 'Who am I.', method: 'GET', path: '/v1/me', inputSchema: { type: 'object', properties: {} } },
  { name: 'beta_hidden', connection: 'beta', description: 'Not mapped by the test config.', method: 'GET', path: '/v1/me', inputSchema: { type: 'object', properties: {} } },
];

/** API-key and bearer connectors over `upstreamUrl`, connections `acme` and `beta`. */
export async function createTestConnections(api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any; text: string }>, upstreamUrl: string): Promise<void> {
  const connectors = [
    { name: 'acme', display_name: 'Acme Billing', pattern: { type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }], auth_header_key_override: 'X-API-Key' } },
    { name: 'beta', display_name: 'Beta Notes', pattern: { type: 'BEARER', fields: [{ field_name: 'token', label: 'Token', input_type: 'password', required: true }] } },
  ];
  for (const { name, display_name, pattern } of connectors) {
    const created = await api('POST', '/api/v1/custom-providers', { display_name, proxy_url: upstreamUrl, proxy_enabled: true, auth_patterns: [pattern] });
    if (created.status !== 201) throw new Error(created.text);
    const connection = await api('POST', '/api/v1/connections', { name, connector: created.body.provider.identifier });
    if (connection.status !== 201) throw new Error(connection.text);
  }
}
