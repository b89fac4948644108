import type { Command } from 'commander';
import type { AccountRef, AccountStatus, ConnectedAccount, ToolproxyClient } from '../../packages/sdk/src/index.ts';
import { allPages, CliContext, type CliIo } from './context.ts';
import { CliError, EXIT, usageError } from './exit-codes.ts';
import { cell, sanitize } from './table.ts';

const STATUSES: readonly AccountStatus[] = ['ACTIVE', 'EXPIRED', 'PENDING_AUTH', 'PENDING_VERIFICATION', 'DISCONNECTED'];

const columns = [
  { header: 'id', value: (a: ConnectedAccount) => a.id },
  { header: 'connection', value: (a: ConnectedAccount) => a.connectionName },
  { header: 'identifier', value: (a: ConnectedAccount) => a.identifier },
  { header: 'status', value: (a: ConnectedAccount) => a.status },
  { header: 'last used', value: (a: ConnectedAccount) => a.lastUsedAt },
  { header: 'updated', value: (a: ConnectedAccount) => a.updatedAt },
];

export function registerAccounts(program: Command, io: CliIo): void {
  const accounts = program.command('accounts').description("connected accounts: one per connection and end user (credentials are never shown)");

  accounts
    .command('list')
    .description('list connected accounts')
    .option('-c, --connection <name>', 'only this connection')
    .option('-i, --identifier <identifier>', 'only this user')
    .option('-s, --status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--organization-id <id>', 'only accounts of this organization')
    .option('--user-id <id>', 'only accounts of this user id')
    .action(async (options: { connection?: string; identifier?: string; status?: string; organizationId?: string; userId?: string }, command: Command) => {
      const cli = new CliContext(io, command);
      const status = options.status?.toUpperCase();
      if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw usageError(`--status must be one of ${STATUSES.join(', ')}`);
      const client = cli.client();
      const all = await allPages(async (pageToken) => {
        const page = await client.actions.listConnectedAccounts({
          pageSize: 100,
          ...(options.connection ? { connectionName: options.connection } : {}),
          ...(options.identifier ? { identifier: options.identifier } : {}),
          ...(status ? { status: status as AccountStatus } : {}),
          ...(options.organizationId ? { organizationId: options.organizationId } : {}),
          ...(options.userId ? { userId: options.userId } : {}),
          ...(pageToken ? { pageToken } : {}),
        });
        return { items: page.connectedAccounts, nextPageToken: page.nextPageToken };
      });
      cli.table(all, columns, 'No connected accounts.');
    });

  accounts
    .command('search <query>')
    .description('find accounts whose identifier, connection or connector contains <query> (3+ characters, any case)')
    .action(async (query: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      const all = await allPages(async (pageToken) => {
        const page = await client.actions.searchConnectedAccounts({ query, pageSize: 100, ...(pageToken ? { pageToken } : {}) });
        return { items: page.connectedAccounts, nextPageToken: page.nextPageToken };
      });
      cli.table(all, columns, 'No connected accounts match.');
    });

  accounts
    .command('get <connection-or-id> [identifier]')
    .description('show one account: by <connection> <identifier>, or by its id (ca_…)')
    .action(async (first: string, identifier: string | undefined, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const { connectedAccount: account } = await cli.client().actions.getConnectedAccount(refOf(first, identifier));
      cli.print(account, () =>
        [
          ['id', account.id],
          ['connection', account.connectionName],
          ['connector', account.connector],
          ['identifier', account.identifier],
          ['status', account.status],
          ['type', account.authorizationType],
          ['credentials', account.hasCredentials ? 'stored (never shown)' : 'none'],
          ['api_config', Object.keys(account.apiConfig).length ? account.apiConfig : null],
          ['last used', account.lastUsedAt],
          ['status since', account.statusUpdatedAt],
          ['created', account.createdAt],
        ]
          .map(([name, value]) => `${String(name).padEnd(13)} ${cell(value)}`)
          .join('\n'),
      );
    });

  accounts
    .command('delete <connection-or-id> [identifier]')
    .description('delete an account and its stored credentials')
    .action(async (first: string, identifier: string | undefined, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const ref = refOf(first, identifier);
      await cli.client().actions.deleteConnectedAccount(ref);
      cli.print({ deleted: ref }, () => `Deleted connected account ${sanitize(identifier ? `${first} / ${identifier}` : first)}.`);
    });

  accounts
    .command('disconnect <connection-or-id> [identifier]')
    .description('disconnect an account: its credentials are deleted and an OAuth grant revoked; a new link connects it again')
    .action(async (first: string, identifier: string | undefined, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const { connectedAccount: account } = await cli.client().actions.disconnectConnectedAccount(refOf(first, identifier));
      cli.print(account, () => `Disconnected ${sanitize(`${account.connectionName} / ${account.identifier}`)} (${account.id}): credentials deleted. Send a new link to connect it again.`);
    });

  accounts
    .command('link <connection> <identifier>')
    .description('print a single-use authorization link for the user (creates the account if needed)')
    .option('-w, --wait', 'then wait until the account is ACTIVE (at once if it already is), so a script can go on to call it')
    .action(async (connection: string, identifier: string, options: { wait?: boolean }, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      const result = await client.actions.getAuthorizationLink({ connectionName: connection, identifier });
      cli.print({ link: result.link, expiry: result.expiry, connected_account_id: result.connectedAccount.id }, () => result.link);
      if (!cli.json) cli.err(`Valid until ${cell(result.expiry)}, once. Open it (or send it to the user) to connect the account.`);
      if (options.wait) await waitUntilActive(cli, client, { connectionName: connection, identifier }, result.expiry);
    });
}

/** Polls the account until it is ACTIVE; gives up when the link has expired. */
async function waitUntilActive(cli: CliContext, client: ToolproxyClient, ref: AccountRef, expiry: Date): Promise<void> {
  let announced = false;
  for (;;) {
    const { connectedAccount: account } = await client.actions.getConnectedAccount(ref);
    if (account.status === 'ACTIVE') {
      if (announced) cli.err('The account is ACTIVE.');
      return;
    }
    if (Date.now() >= expiry.getTime()) throw new CliError(EXIT.ERROR, `the link expired before the account became ACTIVE (status ${account.status}); run the command again for a new link`);
    if (!announced && !cli.json) cli.err('Waiting until the account is ACTIVE (Ctrl-C to stop)…');
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

const WAIT_POLL_MS = 1000;

function refOf(first: string, identifier: string | undefined): AccountRef {
  if (identifier !== undefined) return { connectionName: first, identifier };
  if (!first.startsWith('ca_')) throw usageError('give <connection> <identifier>, or an account id (ca_…)');
  return { connectedAccountId: first };
}
