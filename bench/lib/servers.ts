import { YARDSTICK } from '../servers/forwarding/candidates.ts';
import { startServer, type Started } from './processes.ts';

export type Ready = { ready: true; port: number };
export type ToolproxyReady = Ready & {
  token: string;
  accounts: number;
  /** A tool that sends the same upstream request as `GET /proxy/v1/customers`. */
  tool: string;
  /** The MCP config's endpoint path, and a session token for user_0 on it. */
  mcpPath: string;
  mcpToken: string;
};

/**
 * Starts the bench's servers (compiled scripts, lib/build.ts) on the servers' CPUs. Every Node
 * server runs with the flags of `npm start`, so a yardstick and toolproxy differ only in code.
 */
export function serverStarters(script: (name: string) => string, cpus: string, nodeFlags: string[]) {
  return {
    upstream: () => startServer<Ready>(script('upstream'), [], { cpus }),
    yardstick: (origin: string, candidate = YARDSTICK) => startServer<Ready>(script('yardstick'), [candidate, `${origin}/api`], { cpus, nodeArgs: nodeFlags }),
    toolproxy: (origin: string, accounts: number, env: Record<string, string> = {}): Promise<Started<ToolproxyReady>> =>
      startServer<ToolproxyReady>(script('toolproxy'), [origin], { cpus, nodeArgs: nodeFlags, env: { BENCH_ACCOUNTS: String(accounts), ...env } }),
  };
}
