import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { PolicyDocument, StoredPolicy } from '../../packages/sdk/src/index.ts';
import { CliContext, type CliIo } from './context.ts';
import { usageError } from './exit-codes.ts';
import { sanitize } from './table.ts';

interface Target {
  account?: string;
}

/**
 * `toolproxy policies get|set|delete`: a connection's policy, or with `--account <id>` a connected
 * account's (which may only narrow its connection's). `get --effective --account <id>` shows every
 * layer a call on the account is checked against. Documents are JSON (docs/policies.md).
 */
export function registerPolicies(program: Command, io: CliIo): void {
  const policies = program.command('policies').description("policies: what calls a connection (or one connected account) allows (docs/policies.md)");
  const accountOption = '--account <id>';
  const accountHelp = "a connected account's policy instead of a connection's";

  policies
    .command('get [connection]')
    .description("show a connection's or an account's policy")
    .option(accountOption, accountHelp)
    .option('--effective', 'with --account: every layer a call on the account is checked against')
    .action(async (connection: string | undefined, options: Target & { effective?: boolean }, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      if (options.effective) {
        if (!options.account) throw usageError('--effective needs --account <id>');
        const effective = await client.policies.getEffectivePolicy(options.account);
        cli.print(effective, () => JSON.stringify(effective.layers, null, 2));
        return;
      }
      const target = targetOf(connection, options);
      const stored = target.account ? await client.policies.getAccountPolicy(target.account) : await client.policies.getConnectionPolicy(target.connection!);
      cli.print(stored, () => describe(stored, target));
    });

  policies
    .command('set [connection]')
    .description("set (replace) a connection's or an account's policy from JSON")
    .option(accountOption, accountHelp)
    .option('-f, --file <file>', 'the policy document (JSON); - reads standard input')
    .option('-p, --policy <json>', 'the policy document inline')
    .action(async (connection: string | undefined, options: Target & { file?: string; policy?: string }, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      const target = targetOf(connection, options);
      const document = readPolicy(options, io.cwd);
      const stored = target.account ? await client.policies.setAccountPolicy(target.account, document) : await client.policies.setConnectionPolicy(target.connection!, document);
      cli.print(stored, () => `Policy set.\n${describe(stored, target)}`);
    });

  policies
    .command('delete [connection]')
    .description("delete a connection's or an account's policy")
    .option(accountOption, accountHelp)
    .action(async (connection: string | undefined, options: Target, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      const target = targetOf(connection, options);
      if (target.account) await client.policies.deleteAccountPolicy(target.account);
      else await client.policies.deleteConnectionPolicy(target.connection!);
      cli.print({ deleted: target }, () => `Deleted the policy of ${label(target)}.`);
    });
}

function targetOf(connection: string | undefined, options: Target): { connection?: string; account?: string } {
  if (connection !== undefined && options.account !== undefined) throw usageError('give a connection name or --account <id>, not both');
  if (connection === undefined && options.account === undefined) throw usageError('give a connection name or --account <id>');
  return connection === undefined ? { account: options.account! } : { connection };
}

function readPolicy(options: { file?: string; policy?: string }, cwd: string): PolicyDocument {
  if ((options.file === undefined) === (options.policy === undefined)) throw usageError('give the policy with --file <file> or --policy <json>');
  let text: string;
  try {
    text = options.policy ?? fs.readFileSync(options.file === '-' ? 0 : path.resolve(cwd, options.file!), 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as PolicyDocument;
  } catch {
    throw usageError('the policy is not valid JSON');
  }
}

function label(target: { connection?: string; account?: string }): string {
  return target.account ? `account ${sanitize(target.account)}` : `connection ${sanitize(target.connection!)}`;
}

function describe(stored: StoredPolicy, target: { connection?: string; account?: string }): string {
  if (stored.policy === null) return `No policy on ${label(target)}: every call is allowed${target.account ? ' that its connection allows' : ''}.`;
  return JSON.stringify(stored.policy, null, 2);
}
