import type { Started } from './processes.ts';
import type { ToolproxyReady } from './servers.ts';
import type { Target } from './targets.ts';

/** The front-door targets: one upstream request (GET /api/v1/customers as user_0) through each door. */
export const DOORS = { proxy: 'proxy (user_0)', tool: 'execute_tool', mcp: 'mcp tools/call' } as const;

/**
 * The same upstream request (GET /api/v1/customers as user_0) through three front doors: raw
 * `/proxy`, `POST /api/v1/execute_tool`, and an MCP `tools/call` with a session token.
 */
export function doorTargets(server: Started<ToolproxyReady>): Array<[string, Target]> {
  const base = `http://127.0.0.1:${server.ready.port}`;
  const pids = () => server.pids();
  const one = { TP_TOKEN: server.ready.token, TP_ACCOUNTS: '1' };
  const toolCall = JSON.stringify({ tool_name: server.ready.tool, params: {}, connection_name: 'bench', identifier: 'user_0' });
  const mcpCall = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: server.ready.tool, arguments: {} } });
  return [
    [DOORS.proxy, { name: DOORS.proxy, url: `${base}/proxy/v1/customers`, env: one, pids }],
    [DOORS.tool, { name: DOORS.tool, url: `${base}/api/v1/execute_tool`, env: { ...one, TP_ROUTING: 'off', TP_METHOD: 'POST', TP_BODY: toolCall }, pids }],
    [
      DOORS.mcp,
      {
        name: DOORS.mcp,
        url: `${base}${server.ready.mcpPath}`,
        env: { ...one, TP_ROUTING: 'off', TP_METHOD: 'POST', TP_BODY: mcpCall, TP_AUTHORIZATION: `Bearer ${server.ready.mcpToken}`, TP_ACCEPT: 'application/json, text/event-stream' },
        pids,
      },
    ],
  ];
}

