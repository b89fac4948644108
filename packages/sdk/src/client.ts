import { Actions } from './actions.ts';
import { ApiClients } from './api-clients.ts';
import { Approvals } from './approvals.ts';
import type { Fetch } from './call.ts';
import { Connections } from './connections.ts';
import { Connectors } from './connectors.ts';
import { Tools } from './tools.ts';
import { Mcp } from './mcp.ts';
import { Policies } from './policies.ts';
import { Transport } from './transport.ts';

export const SDK_VERSION = '0.1.0';

export interface ClientOptions {
  /** Default timeout of every call in ms, including reading the response body. Default 30 000; 0 = none. */
  timeoutMs?: number;
  /** A fetch implementation; default the global `fetch` (Node 20+). */
  fetch?: Fetch;
  /** Sent as `user-agent`; default `toolproxy-node/<version>`. */
  userAgent?: string;
  /** Clock in epoch ms, for token renewal; default `Date.now`. */
  now?: () => number;
}

/**
 * The toolproxy client, built like the reference's: environment URL, client id, client secret.
 * App access tokens are fetched on the first call and renewed before they expire.
 *
 * @example
 * import { ToolproxyClient } from '@toolproxy/sdk';
 * const client = new ToolproxyClient(process.env.TOOLPROXY_URL, process.env.TOOLPROXY_CLIENT_ID, process.env.TOOLPROXY_CLIENT_SECRET);
 * const { link } = await client.actions.getAuthorizationLink({ connectionName: 'acme', identifier: 'user_123' });
 */
export class ToolproxyClient {
  /** Authorization links, connected accounts and the Tool Proxy (`request`). */
  readonly actions: Actions;
  /** Connector definitions. */
  readonly connectors: Connectors;
  /** Connections. */
  readonly connections: Connections;
  /** API clients (who may call this server). */
  readonly apiClients: ApiClients;
  /** Tools: listing and OpenAPI import. */
  readonly tools: Tools;
  /** MCP server configs and the session tokens agents connect with. */
  readonly mcp: Mcp;
  /** Connection and account policies (docs/policies.md). */
  readonly policies: Policies;
  /** Calls held for a person's approval: list, approve, deny (docs/approvals.md). */
  readonly approvals: Approvals;
  /** The server's base URL, without a trailing slash. */
  readonly envUrl: string;

  constructor(envUrl: string | undefined, clientId: string | undefined, clientSecret: string | undefined, options: ClientOptions = {}) {
    const baseUrl = normalizeUrl(envUrl);
    if (!clientId || !clientSecret) throw new TypeError('ToolproxyClient: clientId and clientSecret are required');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('ToolproxyClient: no global fetch (Node 20 or newer is required); pass options.fetch');
    const transport = new Transport({
      baseUrl,
      clientId,
      clientSecret,
      fetch: fetchImpl,
      timeoutMs: options.timeoutMs ?? 30_000,
      userAgent: options.userAgent ?? `toolproxy-node/${SDK_VERSION}`,
      now: options.now ?? Date.now,
    });
    this.envUrl = baseUrl;
    this.actions = new Actions(transport);
    this.connectors = new Connectors(transport);
    this.connections = new Connections(transport);
    this.apiClients = new ApiClients(transport);
    this.tools = new Tools(transport);
    this.mcp = new Mcp(transport);
    this.policies = new Policies(transport);
    this.approvals = new Approvals(transport);
  }
}

/** An http(s) URL; a path prefix is kept (the server may live under one), a trailing slash is not. */
function normalizeUrl(envUrl: string | undefined): string {
  let url: URL;
  try {
    url = new URL(envUrl ?? '');
  } catch {
    throw new TypeError(`ToolproxyClient: envUrl must be an http(s) URL (got ${JSON.stringify(envUrl)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('ToolproxyClient: envUrl must be an http(s) URL');
  if (url.search || url.hash) throw new TypeError('ToolproxyClient: envUrl must not have a query or fragment');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
