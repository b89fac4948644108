import type { Command } from 'commander';
import { CliContext, type CliIo } from './context.ts';

export function registerAudit(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('the audit trail (a local operator command: it opens the database directly; docs/audit.md)');

  audit
    .command('verify')
    .description('walk the hash chain from the retention checkpoint to the head; names the first entry that was edited, deleted or moved (exit 1)')
    .action(async (_options: unknown, command: Command) => {
      const { verifyAudit } = await import('./audit-local.ts');
      await verifyAudit(new CliContext(io, command));
    });

  audit
    .command('export')
    .description('write the entries of a time range as JSON Lines or CSV to stdout')
    .requiredOption('--from <time>', 'ISO 8601 time or epoch ms (inclusive)')
    .requiredOption('--to <time>', 'ISO 8601 time or epoch ms (exclusive)')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .action(async (options: { from: string; to: string; format: string }, command: Command) => {
      const { exportAudit } = await import('./audit-local.ts');
      await exportAudit(new CliContext(io, command), options);
    });
}
