import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { ToolproxyError } from '../errors.ts';
import type { McpPrincipal } from './authenticator.ts';
import { type CallRecord, type McpTools, UnknownToolError } from './mcp-tools.ts';

/** What the per-request server reports back, for metrics and the log. */
export interface McpServerEvents {
  toolCall(record: CallRecord, seconds: number): void;
  /** A handler failed unexpectedly; the client got a generic JSON-RPC error. */
  failure(error: unknown): void;
}

/**
 * toolproxy never asks the client to fill a form (elicitation), so the SDK's JSON Schema
 * validator is never called; without this, every `new Server` would build its own Ajv instance.
 */
const NO_VALIDATOR: jsonSchemaValidator = {
  getValidator() {
    throw new Error('toolproxy does not validate client-side schemas');
  },
};

/**
 * One MCP server and one stateless transport per HTTP request (the SDK's stateless pattern):
 * nothing about a client lives in this process between requests, so any instance can answer any
 * request. Who the request is for comes from its token (`principal`).
 */
export function createMcpServer(options: { version: string; tools: McpTools; principal: McpPrincipal; events: McpServerEvents }): {
  server: Server;
  transport: WebStandardStreamableHTTPServerTransport;
} {
  const { tools, principal, events } = options;
  const server = new Server(
    { name: 'toolproxy', title: principal.config.name, version: options.version },
    {
      capabilities: { tools: { listChanged: true } },
      ...(principal.config.description ? { instructions: principal.config.description } : {}),
      jsonSchemaValidator: NO_VALIDATOR,
      // A burst of account changes reaches a stream as one notification.
      debouncedNotificationMethods: ['notifications/tools/list_changed'],
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => guarded(events, () => tools.list(principal, extra.signal).then((list) => ({ tools: list }))));
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    const started = performance.now();
    let recorded: CallRecord = { tool: request.params.name, connection: null, outcome: 'error' };
    return guarded(events, () =>
      tools.call(principal, request.params.name, request.params.arguments ?? {}, extra.signal, (record) => (recorded = record)),
    ).finally(() => events.toolCall(recorded, (performance.now() - started) / 1000));
  });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  return { server, transport };
}

/**
 * The SDK sends a thrown error's message to the client: only our protocol errors and exposable
 * errors keep theirs; anything else is logged and becomes a generic internal error.
 */
async function guarded<T>(events: McpServerEvents, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof McpError) throw error;
    if (error instanceof UnknownToolError) throw new McpError(ErrorCode.InvalidParams, error.message);
    if (error instanceof ToolproxyError && error.expose) throw new McpError(ErrorCode.InvalidRequest, `${error.message} (${error.code})`);
    events.failure(error);
    throw new McpError(ErrorCode.InternalError, 'Internal error; the cause is in the server log.');
  }
}
