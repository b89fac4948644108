import type { SecretColumn } from '../store/repositories.ts';
import { SECRET_COLUMNS } from '../store/secrets-repository.ts';
import type { Store } from '../store/store.ts';
import type { Vault } from '../vault/vault.ts';

export interface RotationProgress {
  /** Rows re-encrypted so far, over all columns. */
  done: number;
  /** Rows that were not on the current key when this pass started. */
  total: number;
  column: string;
}

export interface RotationResult {
  reencrypted: number;
  /** Rows a concurrent writer changed first (their value is theirs; a later pass re-checks them). */
  changedMeanwhile: number;
  /** Rows that did not decrypt with any loaded key: left as they are. */
  failed: Array<{ table: string; id: string; reason: string }>;
  /** Rows still not on the current key at the end (failed ones included). */
  remaining: number;
}

/** Passes over the secret columns; more than one only while concurrent writers keep adding old-key rows. */
const MAX_PASSES = 3;

/**
 * Key rotation, step two: re-encrypts every secret that is not on the vault's current key, in
 * batches (one transaction each), each row by compare-and-set so a concurrent writer is never
 * overwritten. Idempotent and resumable: rows already on the current key are never selected,
 * so a run killed at any point is finished by running it again.
 */
export async function reencryptSecrets(deps: {
  store: Store;
  vault: Vault;
  batchSize: number;
  columns?: readonly SecretColumn[];
  onProgress?: (progress: RotationProgress) => void;
}): Promise<RotationResult> {
  const { store, vault, batchSize } = deps;
  const columns = deps.columns ?? SECRET_COLUMNS;
  const kid = vault.currentKid;
  const result: RotationResult = { reencrypted: 0, changedMeanwhile: 0, failed: [], remaining: 0 };
  const failedIds = new Set<string>();

  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let total = 0;
    for (const column of columns) total += await store.secrets.countNotOnKid(column, kid);
    total -= failedIds.size;
    if (total <= 0) break;
    let done = 0;
    let changed = 0;
    for (const column of columns) {
      const name = `${column.table}.${column.column}`;
      let afterId: string | null = null;
      for (;;) {
        const rows = await store.secrets.listNotOnKid(column, kid, afterId, batchSize);
        if (rows.length === 0) break;
        afterId = rows[rows.length - 1]!.id;
        await store.transaction(async (repos) => {
          for (const row of rows) {
            if (failedIds.has(`${name}:${row.id}`)) continue;
            const binding = { table: column.table, rowId: row.id, column: column.column };
            let next: string;
            try {
              next = vault.encrypt(vault.decrypt(row.value, binding), binding);
            } catch (error) {
              failedIds.add(`${name}:${row.id}`);
              const reason = ((error as { details?: { reason?: string } }).details?.reason ?? (error as Error).message) || 'unreadable';
              result.failed.push({ table: name, id: row.id, reason });
              continue;
            }
            if (await repos.secrets.replace(column, row, next)) done++;
            else changed++;
          }
        });
        deps.onProgress?.({ done, total, column: name });
      }
    }
    result.reencrypted += done;
    result.changedMeanwhile += changed;
    // A row lost to a concurrent writer holds the writer's value, which may be on an old key
    // (a server that has not met the new key yet): look again, a bounded number of times.
    if (changed === 0) break;
  }

  for (const column of columns) result.remaining += await store.secrets.countNotOnKid(column, kid);
  return result;
}
