import type { IncomingHttpHeaders } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Clock } from '../clock.ts';
import { type ErrorCode, ToolproxyError } from '../errors.ts';
import { McpAuthError, type McpAuthenticator, type McpPrincipal } from './authenticator.ts';
import type { McpConfigsService } from './configs-service.ts';
import type { ListChangedNotifier } from './list-changed.ts';
import type { McpServerEvents } from './mcp-server.ts';
import { type McpSdk, loadMcpSdk } from './sdk-loader.ts';
import type { McpTools } from './mcp-tools.ts';
import type { McpMetrics } from './metrics.ts';
import { scopeFor } from './scopes.ts';

/** The protocol revisions this endpoint speaks, newest first (issue 13). */
export const MCP_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18'] as const;

export interface McpLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

type Headers = IncomingHttpHeaders;

/**
 * The Streamable HTTP MCP endpoint (MCP basic/transports), `POST|GET <public url>/mcp/<config id>`,
 * in front of the official SDK's server and transport. Stateless across instances: every request
 * carries its token, every POST gets its own server and transport, no Mcp-Session-Id is issued.
 * A GET holds a notification stream on whichever instance it reached; `tools/list_changed` gets
 * there through the change feed (src/mcp/list-changed.ts).
 *
 * Order of checks, each refusing with the status the specs name and nothing run: method (405),
 * Host/Origin (403, DNS rebinding), bearer token (401 + WWW-Authenticate), MCP-Protocol-Version
 * (400) — all before the body is read —, then the body (413 over the limit, 400 not JSON-RPC),
 * then the scope of each request (403 insufficient_scope).
 */
export class McpEndpoint {
  readonly #authenticator: McpAuthenticator;
  readonly #configs: McpConfigsService;
  readonly #tools: McpTools;
  readonly #notifier: ListChangedNotifier;
  readonly #metrics: McpMetrics | undefined;
  readonly #clock: Clock;
  readonly #log: McpLog;
  readonly #version: string;
  readonly #allowedHosts: ReadonlySet<string>;

  constructor(deps: {
    authenticator: McpAuthenticator;
    configs: McpConfigsService;
    tools: McpTools;
    notifier: ListChangedNotifier;
    metrics?: McpMetrics | undefined;
    clock: Clock;
    log: McpLog;
    version: string;
    publicUrl: string;
    /** Host header values accepted besides the public URL's (a proxy that rewrites Host). */
    extraAllowedHosts?: readonly string[];
  }) {
    this.#authenticator = deps.authenticator;
    this.#configs = deps.configs;
    this.#tools = deps.tools;
    this.#notifier = deps.notifier;
    this.#metrics = deps.metrics;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#version = deps.version;
    this.#allowedHosts = allowedHosts(new URL(deps.publicUrl), deps.extraAllowedHosts ?? []);
  }

  /** Everything checked before the body is read. Throws a ToolproxyError (McpAuthError for 401/403). */
  async admit(method: string, configId: string, headers: Headers): Promise<McpPrincipal> {
    if (method !== 'POST' && method !== 'GET') throw new ToolproxyError('MCP_METHOD_NOT_ALLOWED');
    // MCP basic/transports "Security Warning": validate Origin (and Host) against DNS rebinding.
    const host = single(headers.host) ?? single(headers[':authority']);
    if (!host || !this.#allowedHosts.has(host.toLowerCase())) throw new ToolproxyError('MCP_ORIGIN_NOT_ALLOWED', { details: { header: 'host' } });
    const origin = single(headers.origin);
    if (origin !== undefined && !this.#allowedHosts.has(hostOf(origin))) throw new ToolproxyError('MCP_ORIGIN_NOT_ALLOWED', { details: { header: 'origin' } });
    const principal = await this.#authenticator.authenticate(configId, single(headers.authorization));
    const version = single(headers['mcp-protocol-version']);
    if (version !== undefined && !(MCP_PROTOCOL_VERSIONS as readonly string[]).includes(version)) {
      throw new ToolproxyError('MCP_PROTOCOL_VERSION_UNSUPPORTED', { details: { supported: MCP_PROTOCOL_VERSIONS } });
    }
    return principal;
  }

  /** One JSON-RPC message (2025-06-18 dropped batches), answered as JSON. */
  async post(principal: McpPrincipal, body: unknown, headers: Headers, signal: AbortSignal): Promise<Response> {
    const sdk = await loadMcpSdk();
    if (!sdk.isJsonContentType(single(headers['content-type']) ?? null)) throw new ToolproxyError('UNSUPPORTED_MEDIA_TYPE');
    const message = parseMessage(sdk, body);
    if (sdk.isJSONRPCRequest(message)) {
      const needed = scopeFor(message.method);
      if (!principal.scope.includes(needed)) throw this.#authenticator.insufficientScope(principal, needed);
    }
    const method = 'method' in message ? message.method : 'response';
    this.#metrics?.message(method, principal.kind);
    const { server, transport } = sdk.createMcpServer({ version: this.#version, tools: this.#tools, principal, events: this.#events(principal) });
    await server.connect(transport);
    const abort = () => void server.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      return await transport.handleRequest(this.#webRequest(principal, 'POST', headers), { parsedBody: negotiated(sdk, message) });
    } finally {
      signal.removeEventListener('abort', abort);
      await server.close();
    }
  }

  /**
   * GET: the stream the server's notifications go on. It lives until the client leaves, the token
   * expires or the server closes; `notifications/tools/list_changed` is its only message.
   */
  async openStream(principal: McpPrincipal, headers: Headers): Promise<Response> {
    if (!principal.scope.includes('tools:read')) throw this.#authenticator.insufficientScope(principal, 'tools:read');
    let config = principal.config;
    const sdk = await loadMcpSdk();
    const { server, transport } = sdk.createMcpServer({ version: this.#version, tools: this.#tools, principal, events: this.#events(principal) });
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      remove();
      void server.close();
    };
    const notify = () => void server.sendToolListChanged().catch(() => undefined);
    const remove = this.#notifier.add({
      configId: config.id,
      identifier: principal.identifier,
      maps: (connectionName) => config.mappings.some((m) => m.connectionName === connectionName),
      notify,
      configChanged: () =>
        void this.#configs.load(config.id).then(
          (fresh) => ((config = fresh), notify()),
          () => close(),
        ),
      close,
    });
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(this.#webRequest(principal, 'GET', headers));
      if (!response.ok || !response.body) {
        close();
        return response;
      }
      this.#metrics?.message('stream', principal.kind);
      // The stream ends when its token does: a token's life bounds everything done with it.
      timer = setTimeout(close, Math.max(0, principal.expiresAt - this.#clock()));
      timer.unref();
      const reader = response.body.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
          if (chunk.done) {
            controller.close();
            close();
          } else controller.enqueue(chunk.value);
        },
        cancel(reason) {
          close();
          return reader.cancel(reason);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    } catch (error) {
      close();
      throw error;
    }
  }

  /** The response for a refused request, counted and logged (never with the token). */
  refusal(error: unknown, context: { configId?: string } = {}): Response {
    const mapped = error instanceof ToolproxyError ? error : new ToolproxyError('INTERNAL_ERROR', { cause: error });
    this.#metrics?.refused(mapped.code);
    if (mapped.statusCode >= 500) this.#log.error({ err: error, code: mapped.code, mcpConfig: context.configId }, 'mcp request failed');
    else this.#log.info({ code: mapped.code, mcpConfig: context.configId, details: mapped.details }, 'mcp request refused');
    const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-toolproxy-error': mapped.code };
    if (mapped instanceof McpAuthError) {
      headers['www-authenticate'] = mapped.challenge;
      const body = { ...(mapped.oauthError ? { error: mapped.oauthError } : {}), error_description: mapped.message, code: mapped.code };
      return new Response(JSON.stringify(body), { status: mapped.statusCode, headers });
    }
    if (mapped.code === 'MCP_METHOD_NOT_ALLOWED') headers.allow = 'GET, POST';
    const rpcCode = RPC_CODES[mapped.code] ?? (mapped.statusCode >= 500 ? -32603 : -32000);
    const body = { jsonrpc: '2.0', error: { code: rpcCode, message: mapped.toBody().error.message, data: { code: mapped.code } }, id: null };
    return new Response(JSON.stringify(body), { status: mapped.statusCode, headers });
  }

  /** Only what the SDK transport reads: the token never reaches the SDK, handlers or anything upstream. */
  #webRequest(principal: McpPrincipal, method: 'GET' | 'POST', headers: Headers): Request {
    const pass: Record<string, string> = {};
    for (const name of ['accept', 'content-type', 'mcp-protocol-version', 'last-event-id']) {
      const value = single(headers[name]);
      if (value !== undefined) pass[name] = value;
    }
    return new Request(principal.config.url, { method, headers: pass });
  }

  #events(principal: McpPrincipal): McpServerEvents {
    return {
      toolCall: (record, seconds) => {
        this.#metrics?.toolCall(principal.config.name, record.outcome, seconds);
        this.#log.info(
          { mcpConfig: principal.config.id, tool: record.tool, connection: record.connection, outcome: record.outcome, token: principal.kind, oauthClient: principal.clientId, ms: Math.round(seconds * 1000) },
          'mcp tool call',
        );
      },
      failure: (error) => this.#log.error({ err: error, mcpConfig: principal.config.id }, 'mcp handler failed'),
    };
  }
}

const RPC_CODES: Partial<Record<ErrorCode, number>> = { MCP_MALFORMED_MESSAGE: -32700, PAYLOAD_TOO_LARGE: -32000 };

function parseMessage(sdk: McpSdk, body: unknown): JSONRPCMessage {
  if (Array.isArray(body)) {
    throw new ToolproxyError('MCP_MALFORMED_MESSAGE', { message: 'JSON-RPC batches are not supported (MCP 2025-06-18 removed them); send one message per request.' });
  }
  const parsed = sdk.JSONRPCMessageSchema.safeParse(body);
  if (!parsed.success) throw new ToolproxyError('MCP_MALFORMED_MESSAGE');
  // The SDK gets the body as sent; the parse above is only the check.
  return body as JSONRPCMessage;
}

/**
 * MCP basic/lifecycle "Version Negotiation": a version we do not speak is answered with our
 * latest (the SDK would echo any version it knows, older ones included).
 */
function negotiated(sdk: McpSdk, message: JSONRPCMessage): JSONRPCMessage {
  if (!sdk.isInitializeRequest(message) || (MCP_PROTOCOL_VERSIONS as readonly string[]).includes(message.params.protocolVersion)) return message;
  return { ...message, params: { ...message.params, protocolVersion: MCP_PROTOCOL_VERSIONS[0] } };
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The Host values (and Origin hosts) that name this server: the public URL's, the operator's
 * extra ones, and for a server on a loopback host the same port under any loopback name (what a
 * rebinding attack cannot produce: its Host and Origin carry the attacker's name).
 */
function allowedHosts(publicUrl: URL, extra: readonly string[]): ReadonlySet<string> {
  const hosts = [publicUrl.host, ...extra];
  if (LOOPBACK.includes(publicUrl.hostname)) {
    const port = publicUrl.port ? `:${publicUrl.port}` : '';
    hosts.push(...LOOPBACK.map((name) => `${name}${port}`));
  }
  return new Set(hosts.map((host) => host.toLowerCase()));
}

/** `https://host:port` → `host:port`; anything unparsable (`null`) → '' (never allowed). */
function hostOf(origin: string): string {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return '';
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
