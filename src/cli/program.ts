import { Command, CommanderError } from 'commander';
import { ToolExecutionError, ToolproxyApiError, ToolproxyError } from '../../packages/sdk/src/index.ts';
import { registerAccounts } from './accounts.ts';
import { registerAudit } from './audit.ts';
import { registerClients } from './clients.ts';
import { registerConnections } from './connections.ts';
import { registerConnectors } from './connectors.ts';
import { type CliIo, defaultServerUrl } from './context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { registerKeys } from './keys.ts';
import { registerMcp } from './mcp.ts';
import { registerPolicies } from './policies.ts';
import { registerApprovals } from './approvals.ts';
import { registerRequest } from './request.ts';
import { registerStart } from './start.ts';
import { registerTools } from './tools.ts';
import { sanitize } from './table.ts';
import { cliVersion } from './version.ts';

/**
 * The `toolproxy` command. Every command but `start`, `keys rotate` and `audit` talks to a server through
 * the Node SDK; those two are local operator commands. Runs in-process (tests pass their own
 * streams) and returns the exit code instead of exiting.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('toolproxy')
    .description('toolproxy: connectors, connections, connected accounts and the Tool Proxy, from the command line')
    .version(cliVersion())
    .option('--url <url>', `server URL (TOOLPROXY_URL; default ${defaultServerUrl(io.env)})`)
    .option('--client-id <id>', 'API client id (TOOLPROXY_CLIENT_ID; default: the local bootstrap client)')
    .option('--client-secret <secret>', 'API client secret (TOOLPROXY_CLIENT_SECRET)')
    .option('--data-dir <dir>', "a local server's data dir (TOOLPROXY_DATA_DIR; default ./data)")
    .option('--json', 'print JSON instead of tables (for scripts)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });

  registerStart(program, io);
  registerConnectors(program, io);
  registerConnections(program, io);
  registerAccounts(program, io);
  registerRequest(program, io);
  registerTools(program, io);
  registerClients(program, io);
  registerMcp(program, io);
  registerPolicies(program, io);
  registerApprovals(program, io);
  registerKeys(program, io);
  registerAudit(program, io);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    return report(error, io, argv.includes('--json'));
  }
}

/** Prints a failure (as `{ "error": … }` on stderr with --json) and picks the exit code. */
function report(error: unknown, io: CliIo, json: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message already; help and --version end here too.
    return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  let exitCode: number = EXIT.ERROR;
  let body: { code: string; message: string; status?: number; details?: unknown; problems?: string[] };
  if (error instanceof CliError) {
    exitCode = error.exitCode;
    body = { code: exitCode === EXIT.USAGE ? 'USAGE' : exitCode === EXIT.INVALID ? 'INVALID_DEFINITION' : 'FAILED', message: error.message, ...(error.lines.length ? { problems: error.lines.map((l) => l.trim()) } : {}) };
  } else if (error instanceof ToolproxyApiError) {
    const problems = error.problems.map((p) => `${p.path || '/'}: ${p.message}`);
    body = { code: error.code, status: error.status, message: error.message, ...(problems.length ? { problems } : { details: error.details }) };
    // `tools run`: the tool ran and its upstream API answered with an error, as `request --fail`.
    if (error instanceof ToolExecutionError && error.upstreamStatus !== null) exitCode = EXIT.UPSTREAM_STATUS;
  } else if (error instanceof ToolproxyError) {
    body = { code: error.code, message: error.message };
  } else if (error instanceof TypeError) {
    // The SDK refuses bad arguments (empty identifier, two bodies) before any call.
    exitCode = EXIT.USAGE;
    body = { code: 'USAGE', message: error.message };
  } else {
    body = { code: 'FAILED', message: (error as Error)?.message ?? String(error) };
  }
  if (json) {
    io.stderr.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
  } else {
    const code = error instanceof CliError ? '' : `[${body.code}] `;
    const lines = [`toolproxy: ${code}${sanitize(body.message)}`];
    if (error instanceof CliError) lines.push(...error.lines);
    else if (body.problems) lines.push(...body.problems.map((p) => `  ${sanitize(p)}`));
    io.stderr.write(`${lines.join('\n')}\n`);
  }
  return exitCode;
}
