import type { Command } from 'commander';
import type { McpConfig, McpConnectedAccount, McpToolMapping } from '../../packages/sdk/src/index.ts';
import { allPages, CliContext, type CliIo } from './context.ts';
import { usageError } from './exit-codes.ts';
import { cell, sanitize } from './table.ts';

const columns = [
  { header: 'id', value: (c: McpConfig) => c.id },
  { header: 'name', value: (c: McpConfig) => c.name },
  { header: 'connections', value: (c: McpConfig) => c.connectionToolMappings.map((m) => m.connectionName).join(', ') },
  { header: 'url', value: (c: McpConfig) => c.mcpServerUrl },
  { header: 'updated', value: (c: McpConfig) => c.updatedAt },
];

const accountColumns = [
  { header: 'connection', value: (a: McpConnectedAccount) => a.connectionName },
  { header: 'connector', value: (a: McpConnectedAccount) => a.connector },
  { header: 'status', value: (a: McpConnectedAccount) => a.status },
  { header: 'link', value: (a: McpConnectedAccount) => a.authorizationLink?.link },
];

/** `--map github` (all its tools) or `--map github:github_issue_create,github_repo_get`; repeatable. */
function mapping(value: string, previous: McpToolMapping[] = []): McpToolMapping[] {
  const colon = value.indexOf(':');
  const connectionName = colon < 0 ? value : value.slice(0, colon);
  const tools = colon < 0 ? [] : value.slice(colon + 1).split(',').map((t) => t.trim()).filter(Boolean);
  if (!connectionName) throw usageError('--map takes <connection> or <connection>:<tool>,<tool>');
  return [...previous, { connectionName, tools }];
}

function describeConfig(config: McpConfig): string {
  return [
    ['id', config.id],
    ['name', config.name],
    ['description', config.description],
    ['url', config.mcpServerUrl],
    ['user verify', config.userVerifyUrl],
    ...config.connectionToolMappings.map((m) => ['maps', `${m.connectionName}: ${m.tools.length ? m.tools.join(', ') : 'all tools'}`]),
    ['updated', config.updatedAt],
  ]
    .map(([name, value]) => `${String(name).padEnd(12)} ${cell(value)}`)
    .join('\n');
}

/** `toolproxy mcp …`: MCP server configs, session tokens, a user's accounts on a config. */
export function registerMcp(program: Command, io: CliIo): void {
  const mcp = program.command('mcp').description('MCP servers: configs that map connections to tools, and the session tokens agents connect with');

  mcp
    .command('list')
    .description('list MCP server configs')
    .action(async (_options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      const all = await allPages(async (pageToken) => {
        const page = await client.mcp.listConfigs({ pageSize: 100, ...(pageToken ? { pageToken } : {}) });
        return { items: page.configs, nextPageToken: page.nextPageToken };
      });
      cli.table(all, columns, 'No MCP servers yet. Create one with: toolproxy mcp create <name> --map <connection>');
    });

  mcp
    .command('show <id>')
    .description('show one MCP server config')
    .action(async (id: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const config = await cli.client().mcp.getConfig(id);
      cli.print(config, () => describeConfig(config));
    });

  mcp
    .command('create <name>')
    .description('create an MCP server config (name: 1-100 of a-z 0-9 _ -)')
    .requiredOption('-m, --map <connection[:tool,tool]>', 'a connection and, optionally, which of its tools (repeatable; at most 25)', mapping)
    .option('-d, --description <text>', 'what it is for (shown to MCP clients as instructions)')
    .option('--user-verify-url <url>', 'your page that confirms who the user is, for MCP clients that connect with OAuth')
    .action(async (name: string, options: { map: McpToolMapping[]; description?: string; userVerifyUrl?: string }, command: Command) => {
      const cli = new CliContext(io, command);
      const config = await cli.client().mcp.createConfig({
        name,
        connectionToolMappings: options.map,
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.userVerifyUrl !== undefined ? { userVerifyUrl: options.userVerifyUrl } : {}),
      });
      cli.print(config, () => `Created MCP server ${sanitize(config.name)} (${config.id}).\nURL: ${sanitize(config.mcpServerUrl)}`);
    });

  mcp
    .command('update <id>')
    .description('change an MCP server config (only the options given)')
    .option('-n, --name <name>', 'a new name')
    .option('-m, --map <connection[:tool,tool]>', 'replace the mappings (repeatable)', mapping)
    .option('-d, --description <text>', 'a new description')
    .option('--user-verify-url <url>', 'a new user verification page')
    .option('--no-user-verify-url', 'remove the user verification page')
    .action(async (id: string, options: { name?: string; map?: McpToolMapping[]; description?: string; userVerifyUrl?: string | false }, command: Command) => {
      const cli = new CliContext(io, command);
      const config = await cli.client().mcp.updateConfig(id, {
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.map !== undefined ? { connectionToolMappings: options.map } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.userVerifyUrl === false ? { userVerifyUrl: null } : typeof options.userVerifyUrl === 'string' ? { userVerifyUrl: options.userVerifyUrl } : {}),
      });
      cli.print(config, () => describeConfig(config));
    });

  mcp
    .command('delete <id>')
    .description('delete an MCP server config: its session tokens stop working')
    .action(async (id: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      await cli.client().mcp.deleteConfig(id);
      cli.print({ deleted: id }, () => `Deleted MCP server ${sanitize(id)}.`);
    });

  mcp
    .command('token <id> <identifier>')
    .description("mint a session token for one of your users (print it to stdout; it is a secret)")
    .option('-e, --expiry <seconds>', 'lifetime, 60 to 86400 (default 3600)')
    .action(async (id: string, identifier: string, options: { expiry?: string }, command: Command) => {
      const cli = new CliContext(io, command);
      const expirySeconds = options.expiry === undefined ? undefined : Number(options.expiry);
      if (expirySeconds !== undefined && !Number.isInteger(expirySeconds)) throw usageError('--expiry takes a whole number of seconds (60 to 86400)');
      const token = await cli.client().mcp.createSessionToken({ configId: id, identifier, ...(expirySeconds === undefined ? {} : { expirySeconds }) });
      cli.print(token, () => token.sessionToken);
      if (!cli.json) cli.err(`For ${sanitize(identifier)} until ${cell(token.expiresAt)}. Connect an MCP client to ${sanitize(token.mcpServerUrl)} with "Authorization: Bearer <token>".`);
    });

  mcp
    .command('accounts <id> <identifier>')
    .description("a user's status on each connection the MCP server maps")
    .option('-l, --links', 'also mint a fresh authorization link for each one not ACTIVE')
    .action(async (id: string, identifier: string, options: { links?: boolean }, command: Command) => {
      const cli = new CliContext(io, command);
      const accounts = await cli.client().mcp.listConnectedAccounts({ configId: id, identifier, includeAuthLink: options.links === true });
      cli.table(accounts, accountColumns, 'This MCP server maps no connections.');
    });
}
