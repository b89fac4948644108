import type { Command } from 'commander';
import { type Connection, ToolproxyApiError } from '../../packages/sdk/src/index.ts';
import { allPages, CliContext, type CliIo } from './context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { sanitize } from './table.ts';

const columns = [
  { header: 'name', value: (c: Connection) => c.name },
  { header: 'connector', value: (c: Connection) => c.connector },
  { header: 'type', value: (c: Connection) => c.type },
  { header: 'enabled', value: (c: Connection) => (c.enabled ? 'yes' : 'no') },
  { header: 'created', value: (c: Connection) => c.createdAt },
];

export function registerConnections(program: Command, io: CliIo): void {
  const connections = program.command('connections').description('connections: named instances of a connector (the connectionName of every call)');

  connections
    .command('create <name>')
    .description('create a connection')
    .requiredOption('-c, --connector <identifier>', 'the connector it uses')
    .option('--disabled', 'create it disabled')
    .option('--if-not-exists', 'succeed without a change when a connection of this name and connector exists (for scripts)')
    .action(async (name: string, options: { connector: string; disabled?: boolean; ifNotExists?: boolean }, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      try {
        const connection = await client.connections.create({ name, connector: options.connector, ...(options.disabled ? { enabled: false } : {}) });
        cli.print(connection, () => `Created connection ${sanitize(connection.name)} (${sanitize(connection.connector)}, ${connection.type}).`);
      } catch (error) {
        if (!options.ifNotExists || !(error instanceof ToolproxyApiError) || error.code !== 'CONNECTION_EXISTS') throw error;
        const existing = await client.connections.get(name);
        if (existing.connector !== options.connector) {
          throw new CliError(EXIT.ERROR, `connection ${sanitize(name)} exists with connector ${sanitize(existing.connector)}, not ${sanitize(options.connector)}`);
        }
        cli.print(existing, () => `Connection ${sanitize(existing.name)} already exists (${sanitize(existing.connector)}, ${existing.type}).`);
      }
    });

  connections
    .command('delete <name>')
    .description('delete a connection (refused while it has connected accounts: delete them first)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      await cli.client().connections.delete(name);
      cli.print({ deleted: name }, () => `Deleted connection ${sanitize(name)}.`);
    });

  connections
    .command('list')
    .description('list connections')
    .option('-c, --connector <identifier>', 'only those of this connector')
    .action(async (options: { connector?: string }, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      const all = await allPages(async (pageToken) => {
        const page = await client.connections.list({ pageSize: 100, ...(options.connector ? { connector: options.connector } : {}), ...(pageToken ? { pageToken } : {}) });
        return { items: page.connections, nextPageToken: page.nextPageToken };
      });
      cli.table(all, columns, 'No connections yet. Create one with: toolproxy connections create <name> --connector <identifier>');
    });
}
