import type { Command } from 'commander';
import type { ApiClient } from '../../packages/sdk/src/index.ts';
import { CliContext, type CliIo } from './context.ts';
import { sanitize } from './table.ts';

const columns = [
  { header: 'client_id', value: (c: ApiClient) => c.clientId },
  { header: 'name', value: (c: ApiClient) => c.name + (c.isBootstrap ? ' (bootstrap)' : '') },
  { header: 'created', value: (c: ApiClient) => c.createdAt },
  { header: 'revoked', value: (c: ApiClient) => c.revokedAt },
];

export function registerClients(program: Command, io: CliIo): void {
  const clients = program.command('clients').description('API clients: the credentials applications use to call this server');

  clients
    .command('create <name>')
    .description('create an API client and print its secret (shown this once only)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const { client, clientSecret } = await cli.client().apiClients.create({ name });
      cli.print({ client_id: client.clientId, client_secret: clientSecret, name: client.name }, () =>
        [
          `Created API client ${sanitize(client.name)}. Store the secret now: it is not shown again.`,
          `  TOOLPROXY_CLIENT_ID=${client.clientId}`,
          `  TOOLPROXY_CLIENT_SECRET=${clientSecret}`,
        ].join('\n'),
      );
    });

  clients
    .command('list')
    .description('list API clients (never their secrets)')
    .action(async (_options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      cli.table(await cli.client().apiClients.list(), columns, 'No API clients.');
    });

  clients
    .command('revoke <client-id>')
    .description('revoke an API client (refused for the last active one)')
    .action(async (clientId: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      await cli.client().apiClients.revoke(clientId);
      cli.print({ revoked: clientId }, () => `Revoked API client ${sanitize(clientId)}.`);
    });
}
