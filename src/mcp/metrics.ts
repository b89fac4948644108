import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const METHODS = new Set(['initialize', 'ping', 'tools/list', 'tools/call', 'notifications/initialized', 'notifications/cancelled']);
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Metrics of the MCP endpoint and its authorization server, registered in the app's registry
 * (GET /metrics). Labels are bounded: JSON-RPC methods from a fixed list, config names
 * (admin-made), outcome kinds and error codes from the catalogue; never identifiers or tokens.
 */
export class McpMetrics {
  readonly #messages: Counter<'method' | 'token'>;
  readonly #refusals: Counter<'code'>;
  readonly #toolCalls: Counter<'config' | 'outcome'>;
  readonly #toolDuration: Histogram<'config'>;
  readonly #oauth: Counter<'event'>;

  constructor(registry: Registry, streamsOpen: () => number) {
    const registers = [registry];
    this.#messages = new Counter({ name: 'toolproxy_mcp_messages_total', help: 'JSON-RPC messages the MCP endpoint accepted, by method and token kind (session, access).', labelNames: ['method', 'token'], registers });
    this.#refusals = new Counter({ name: 'toolproxy_mcp_refusals_total', help: 'MCP requests refused before any message ran, by error code.', labelNames: ['code'], registers });
    this.#toolCalls = new Counter({ name: 'toolproxy_mcp_tool_calls_total', help: 'MCP tools/call by config and outcome (ok, upstream_error, not_authorized, invalid_input, refused, unknown_tool, authorize, error).', labelNames: ['config', 'outcome'], registers });
    this.#toolDuration = new Histogram({ name: 'toolproxy_mcp_tool_call_duration_seconds', help: 'Time to answer an MCP tools/call, by config.', labelNames: ['config'], buckets: BUCKETS, registers });
    this.#oauth = new Counter({ name: 'toolproxy_mcp_oauth_events_total', help: 'MCP authorization server events (client_registered, code_issued, token_issued, token_refreshed, refresh_reuse_revoked, consent_denied, refused).', labelNames: ['event'], registers });
    new Gauge({ name: 'toolproxy_mcp_streams_open', help: 'MCP notification streams (GET) open on this instance.', registers, collect() { this.set(streamsOpen()); } });
  }

  message(method: string, token: string): void {
    this.#messages.inc({ method: METHODS.has(method) ? method : 'other', token });
  }

  refused(code: string): void {
    this.#refusals.inc({ code });
  }

  toolCall(config: string, outcome: string, seconds: number): void {
    this.#toolCalls.inc({ config, outcome });
    this.#toolDuration.observe({ config }, seconds);
  }

  oauth(event: string): void {
    this.#oauth.inc({ event });
  }
}
