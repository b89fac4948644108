import { DOORS } from './lib/doors.ts';
import { GUARDED } from './lib/guardrails.ts';
import type { LoadScenario } from './lib/scenarios.ts';
import type { Settings } from './lib/settings.ts';

/**
 * The load scenarios of `npm run bench`, one small entry each: which targets take turns, the
 * load, and the checks (the verdict table's lines). Target names are the ones run.ts starts:
 *   direct      the upstream itself
 *   yardstick   the fastest correct Node forwarding proxy (servers/forwarding/candidates.ts)
 *   nginx       nginx injecting the same header (lib/nginx.ts)
 *   toolproxy   the real server, SQLite, 10 accounts, as shipped (request log, metrics, app tokens)
 *   toolproxy (N accounts)   the same with BENCH_MANY_ACCOUNTS accounts, all of them warm
 *   toolproxy (guardrails on)   the same with a policy on its connection (lib/guardrails.ts)
 * To add a line: start its target in run.ts (a server, a URL and its request shape: TP_METHOD,
 * TP_BODY… of wrk/proxy.lua) and add an entry here. Every target gets CPU per call measured
 * (`metric: 'cpuPerCall'`, e.g. `compare: 'ratio', atMost: 1.3` for "≤ 1.3× the CPU of …").
 */
export function loadScenarios(settings: Settings, many: string): LoadScenario[] {
  const rateConnections = 20;
  return [
    {
      name: 'throughput, 32 connections',
      targets: ['direct', 'yardstick', 'toolproxy', 'nginx'],
      connections: 32,
      checks: [
        { label: 'toolproxy / yardstick req/s, 32 connections', subject: 'toolproxy', baseline: 'yardstick', metric: 'rps', compare: 'ratio', atLeast: 0.85 },
        { label: 'toolproxy / nginx req/s, 32 connections', subject: 'toolproxy', baseline: 'nginx', metric: 'rps', compare: 'ratio' },
        { label: 'yardstick / nginx req/s, 32 connections', subject: 'yardstick', baseline: 'nginx', metric: 'rps', compare: 'ratio' },
        { label: 'toolproxy / yardstick CPU per call, 32 connections', subject: 'toolproxy', baseline: 'yardstick', metric: 'cpuPerCall', compare: 'ratio' },
      ],
    },
    {
      name: 'throughput, 256 connections',
      targets: ['yardstick', 'toolproxy', 'nginx'],
      connections: 256,
      checks: [
        { label: 'toolproxy / yardstick req/s, 256 connections', subject: 'toolproxy', baseline: 'yardstick', metric: 'rps', compare: 'ratio', atLeast: 0.85 },
        { label: 'toolproxy / nginx req/s, 256 connections', subject: 'toolproxy', baseline: 'nginx', metric: 'rps', compare: 'ratio' },
        { label: 'toolproxy / yardstick CPU per call, 256 connections', subject: 'toolproxy', baseline: 'yardstick', metric: 'cpuPerCall', compare: 'ratio' },
      ],
    },
    {
      name: 'latency, 1 connection',
      targets: ['yardstick', 'toolproxy'],
      connections: 1,
      checks: [
        { label: 'p50 added over the yardstick, 1 connection', subject: 'toolproxy', baseline: 'yardstick', metric: 'p50', compare: 'added', atMost: 50 },
      ],
    },
    {
      name: `latency at ~${settings.rate} req/s`,
      targets: ['direct', 'yardstick', 'toolproxy'],
      connections: rateConnections,
      // Each connection a Poisson source (wrk/proxy.lua) with this mean pause: about `rate` in all.
      delayMs: Math.max(1, Math.round((rateConnections * 1000) / settings.rate)),
      checks: [
        { label: `p99 added over the yardstick at ~${settings.rate} req/s`, subject: 'toolproxy', baseline: 'yardstick', metric: 'p99', compare: 'added', atMost: 1000 },
        { label: `yardstick's p99 added over direct at ~${settings.rate} req/s`, subject: 'yardstick', baseline: 'direct', metric: 'p99', compare: 'added' },
      ],
    },
    {
      // Issue 12: a tool call against a raw /proxy call for the same upstream request; issue 13:
      // an MCP tools/call against execute_tool.
      name: 'front doors, 32 connections',
      targets: [DOORS.proxy, DOORS.tool, DOORS.mcp],
      connections: 32,
      checks: [
        { label: 'execute_tool / /proxy CPU per call', subject: DOORS.tool, baseline: DOORS.proxy, metric: 'cpuPerCall', compare: 'ratio', atMost: 1.3 },
        { label: 'execute_tool / /proxy req/s', subject: DOORS.tool, baseline: DOORS.proxy, metric: 'rps', compare: 'ratio' },
        { label: 'MCP tools/call / execute_tool CPU per call', subject: DOORS.mcp, baseline: DOORS.tool, metric: 'cpuPerCall', compare: 'ratio' },
        { label: 'MCP tools/call / execute_tool req/s', subject: DOORS.mcp, baseline: DOORS.tool, metric: 'rps', compare: 'ratio' },
      ],
    },
    {
      name: 'guardrails',
      targets: ['toolproxy', GUARDED],
      connections: 32,
      checks: [
        { label: `${GUARDED} / off req/s, 32 connections`, subject: GUARDED, baseline: 'toolproxy', metric: 'rps', compare: 'ratio', atLeast: 0.95 },
        { label: `${GUARDED} / off CPU per call, 32 connections`, subject: GUARDED, baseline: 'toolproxy', metric: 'cpuPerCall', compare: 'ratio' },
      ],
    },
    {
      name: 'accounts',
      targets: ['toolproxy', many],
      connections: 32,
      // Every round outlasts the 10 s period of the last_used_at flush (src/proxy/usage-recorder.ts),
      // so each pays for the flush of the accounts it used.
      minSeconds: 12,
      checks: [
        { label: `${many} / 10 accounts req/s`, subject: many, baseline: 'toolproxy', metric: 'rps', compare: 'ratio', atLeast: 0.95 },
      ],
    },
  ];
}
