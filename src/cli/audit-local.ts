import { exportLines, parseExportRange } from '../audit/audit-export.ts';
import { auditRepository } from '../audit/audit-repository.ts';
import { verifyChain } from '../audit/audit-verify.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { isToolproxyError } from '../errors.ts';
import { openStore, type Store } from '../store/store.ts';
import type { CliContext } from './context.ts';
import { CliError, EXIT, usageError } from './exit-codes.ts';

/** Opens the database the server's config points at (TOOLPROXY_DATA_DIR / DATABASE_URL), like `keys rotate`. */
export async function openConfiguredStore(cli: CliContext): Promise<Store> {
  const env = { ...cli.io.env, ...(cli.options.dataDir ? { TOOLPROXY_DATA_DIR: cli.options.dataDir } : {}) };
  let config;
  try {
    config = loadConfig(env, cli.io.cwd);
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(error.message);
    throw error;
  }
  return openStore(config.database.kind === 'sqlite' ? { kind: 'sqlite', path: config.database.path } : { kind: 'postgres', url: config.database.url });
}

/** `toolproxy audit verify`: exit 0 when the chain holds, 1 naming the first bad entry otherwise. */
export async function verifyAudit(cli: CliContext): Promise<void> {
  const store = await openConfiguredStore(cli);
  try {
    const result = await verifyChain(auditRepository(store.db, store.dialect));
    cli.print(result, () =>
      result.ok
        ? `The audit trail verifies: ${result.checked} entries from ${result.from_seq + 1} to ${result.last_seq}; head hash ${result.last_hash}.`
        : `The audit trail does NOT verify: ${result.first_bad!.message}.`,
    );
    if (!result.ok) throw new CliError(EXIT.ERROR, `first bad entry: ${result.first_bad!.seq} (${result.first_bad!.reason})`);
  } finally {
    await store.close();
  }
}

/** `toolproxy audit export --from --to --format jsonl|csv`: streamed to stdout. */
export async function exportAudit(cli: CliContext, options: { from: string; to: string; format: string }): Promise<void> {
  let range;
  try {
    range = parseExportRange(options.from, options.to, options.format);
  } catch (error) {
    if (!isToolproxyError(error)) throw error;
    const problems = (error.details as { problems: { path: string; message: string }[] }).problems;
    throw new CliError(EXIT.USAGE, 'bad export range', problems.map((p) => `  --${p.path.slice(1)} ${p.message}`));
  }
  const store = await openConfiguredStore(cli);
  try {
    for await (const chunk of exportLines(auditRepository(store.db, store.dialect), range)) {
      if (!cli.io.stdout.write(chunk)) await new Promise<void>((resolve) => cli.io.stdout.once('drain', resolve));
    }
  } finally {
    await store.close();
  }
}
