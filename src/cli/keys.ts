import type { Command } from 'commander';
import { CliContext, type CliIo } from './context.ts';
import { usageError } from './exit-codes.ts';

export function registerKeys(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('encryption keys of the stored secrets (a local operator command: it opens the database directly)');

  keys
    .command('rotate')
    .description('add a new encryption key and re-encrypt every stored secret with it; safe to interrupt and run again')
    .option('--batch-size <n>', 'rows per transaction', '500')
    .option('--no-new-key', 're-encrypt to the current key only (finishes a rotation; the mode used with TOOLPROXY_ENCRYPTION_KEY)')
    .action(async (options: { batchSize: string; newKey: boolean }, command: Command) => {
      const cli = new CliContext(io, command);
      const batchSize = Number(options.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw usageError('--batch-size must be an integer from 1 to 10000');
      // Loaded on use: the store and its drivers are not needed by any other command.
      const { rotateKeys } = await import('./keys-rotate.ts');
      await rotateKeys(cli, { batchSize, newKey: options.newKey });
    });
}
