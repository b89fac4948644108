import fs from 'node:fs';
import path from 'node:path';
import { auditRepository } from '../audit/audit-repository.ts';
import { AuditTrail } from '../audit/audit-trail.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { openStore, type Store } from '../store/store.ts';
import { KEY_FILE_NAME, type Keyring, loadKeyring, prependKeyToFile } from '../vault/keyring.ts';
import { Vault } from '../vault/vault.ts';
import type { CliContext } from './context.ts';
import { CliError, EXIT, usageError } from './exit-codes.ts';
import { reencryptSecrets } from './key-rotation.ts';
import { Progress } from './progress.ts';

/** Marks a rotation in progress (its target kid and owner), so a re-run resumes it instead of adding yet another key. */
export const ROTATION_STATE_FILE = 'key-rotation.json';

interface RotationState {
  kid: string;
  pid: number;
  started_at: string;
}

/**
 * `toolproxy keys rotate` (docs/cli.md): a new key, then every secret re-encrypted to it; resumes
 * an interrupted run. A local operator command: it opens the store and the key file directly.
 */
export async function rotateKeys(cli: CliContext, options: { batchSize: number; newKey: boolean }): Promise<void> {
  const env = { ...cli.io.env, ...(cli.options.dataDir ? { TOOLPROXY_DATA_DIR: cli.options.dataDir } : {}) };
  let config;
  try {
    config = loadConfig(env, cli.io.cwd);
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(error.message);
    throw error;
  }
  const fromEnvironment = config.encryptionKey !== undefined;
  const keyFile = path.join(config.dataDir, KEY_FILE_NAME);
  if (!fromEnvironment && !fs.existsSync(keyFile)) {
    throw new CliError(EXIT.ERROR, `no key file at ${keyFile}: point --data-dir (or TOOLPROXY_DATA_DIR) at the server's data dir, or set TOOLPROXY_ENCRYPTION_KEY`);
  }

  const store = await openStore(config.database.kind === 'sqlite' ? { kind: 'sqlite', path: config.database.path } : { kind: 'postgres', url: config.database.url });
  try {
    let keyring = loadKeyring({ encryptionKey: config.encryptionKey, dataDir: config.dataDir });
    await assertKeyringMatches(store, keyring);

    const stateFile = path.join(config.dataDir, ROTATION_STATE_FILE);
    let resumed = false;
    if (!fromEnvironment) {
      const state = readState(stateFile);
      if (state && state.pid !== process.pid && isRunning(state.pid)) {
        throw new CliError(EXIT.ERROR, `another key rotation is running (pid ${state.pid}); wait for it, or stop it and run this again to resume it`);
      }
      if (state && keyring.byKid.has(state.kid)) {
        resumed = true;
      } else if (options.newKey) {
        // Killed between these two writes, the next run adds one more key: wasteful, never wrong.
        const key = prependKeyToFile(keyFile);
        writeState(stateFile, { kid: key.kid, pid: process.pid, started_at: new Date().toISOString() });
        keyring = loadKeyring({ encryptionKey: undefined, dataDir: config.dataDir });
      }
      if (resumed) writeState(stateFile, { ...state!, pid: process.pid });
    }
    const vault = new Vault(keyring);
    // S6: a restart with only the new key must be recognised as this database's key.
    await store.encryptionKeys.ensure(vault.currentKid, Date.now());

    if (!cli.json) {
      const how = resumed ? 'resuming the interrupted rotation to' : fromEnvironment || !options.newKey ? 're-encrypting to the current' : 'added new';
      cli.err(`${how} key ${vault.currentKid}${fromEnvironment ? ' (first key of TOOLPROXY_ENCRYPTION_KEY)' : ` (${keyFile})`}`);
    }
    const progress = new Progress(cli.io.stderr, 're-encrypting');
    const result = await reencryptSecrets({
      store,
      vault,
      batchSize: options.batchSize,
      onProgress: ({ done, total, column }) => progress.update(done, total, column),
    });
    progress.finish();
    await recordRotation(store, { kid: vault.currentKid, reencrypted: result.reencrypted, failed: result.failed.length, remaining: result.remaining }, cli);
    if (!fromEnvironment) fs.rmSync(stateFile, { force: true });

    cli.print({ kid: vault.currentKid, reencrypted: result.reencrypted, changed_meanwhile: result.changedMeanwhile, failed: result.failed, remaining: result.remaining }, () =>
      [
        `Done: ${result.reencrypted} secret(s) re-encrypted to key ${vault.currentKid}; ${result.remaining} left on older keys.`,
        ...(result.changedMeanwhile ? [`${result.changedMeanwhile} row(s) were rewritten by the server meanwhile (their new values were kept).`] : []),
        result.remaining === 0
          ? fromEnvironment
            ? 'No secret uses the older keys of TOOLPROXY_ENCRYPTION_KEY any more; keep them only to read older backups.'
            : `Running servers switch to the new key when they first read a secret written with it (restart them to switch at once). Older keys stay in ${keyFile} to read older backups.`
          : 'Run `toolproxy keys rotate --no-new-key` again to finish.',
      ].join('\n'),
    );
    if (result.failed.length > 0) {
      throw new CliError(EXIT.ERROR, `${result.failed.length} secret(s) could not be decrypted with any loaded key and were left as they are:`, result.failed.map((f) => `  ${f.table} ${f.id}: ${f.reason}`));
    }
    if (result.remaining > 0) throw new CliError(EXIT.ERROR, `${result.remaining} secret(s) are still on older keys (written meanwhile); run the command again`);
  } finally {
    await store.close();
  }
}

/** The audit trail's `key.rotate` entry, written before the command returns (never a key, only its id). */
async function recordRotation(store: Store, outcome: { kid: string; reencrypted: number; failed: number; remaining: number }, cli: CliContext): Promise<void> {
  const trail = new AuditTrail({
    repository: auditRepository(store.db, store.dialect),
    clock: Date.now,
    log: { warn: () => undefined, error: (_object, message) => cli.err(`toolproxy: ${message}`) },
  });
  trail.record({
    action: 'key.rotate',
    actor: { type: 'system', id: 'toolproxy keys rotate' },
    target: { type: 'encryption_key', id: outcome.kid },
    outcome: outcome.failed > 0 || outcome.remaining > 0 ? 'incomplete' : 'ok',
    details: { reencrypted: outcome.reencrypted, failed: outcome.failed, remaining: outcome.remaining },
  });
  await trail.close();
}

/** S6 at the operator's end: never add a key to, or rewrite, a database this keyring cannot read. */
async function assertKeyringMatches(store: Store, keyring: Keyring): Promise<void> {
  const known = await store.encryptionKeys.list();
  if (known.length > 0 && !known.some((kid) => keyring.byKid.has(kid))) {
    throw new CliError(EXIT.ERROR, `the encryption key does not match this database (it was written with key id ${known.join(', ')}); nothing was changed`);
  }
}

function readState(file: string): RotationState | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<RotationState>;
    return typeof state.kid === 'string' && typeof state.pid === 'number' ? (state as RotationState) : undefined;
  } catch {
    return undefined;
  }
}

function writeState(file: string, state: RotationState): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
