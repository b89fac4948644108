import { CompiledQuery, type Kysely } from 'kysely';
import type { StoreDialect } from '../store/dialect.ts';
import { type AuditEntry, entryHash, type UnchainedEntry } from './audit-entry.ts';

/** The two tables of migration 0009-audit, as Kysely sees them. */
export interface AuditDatabase {
  audit_entries: AuditEntry;
  audit_chain: AuditChainRow;
}

/** The one row of `audit_chain`: the head, and the retention checkpoint `verify` starts from. */
export interface AuditChainRow {
  id: number;
  last_seq: number;
  last_hash: string;
  pruned_seq: number;
  pruned_hash: string;
  pruned_at: number | null;
}

/** What an append and a prune need from the database; nothing else writes these tables. */
export interface AuditRepository {
  /**
   * Chains and inserts `entries` in one transaction, in their order, under the chain head's row
   * lock (several instances on one Postgres append one after the other). Returns the last seq.
   */
  append(entries: readonly UnchainedEntry[]): Promise<number>;
  head(): Promise<AuditChainRow>;
  /** Entries with `afterSeq < seq <= upToSeq`, in seq order. */
  page(afterSeq: number, upToSeq: number, limit: number): Promise<AuditEntry[]>;
  /** Entries with `from <= at < to` and `seq > afterSeq`, in seq order (export). */
  range(from: number, to: number, afterSeq: number, limit: number): Promise<AuditEntry[]>;
  /**
   * Removes up to `limit` of the oldest entries, stopping before the first one at or after
   * `before` (a prefix: the chain stays whole), and moves the checkpoint to the last one removed.
   * Returns how many were removed.
   */
  prune(before: number, limit: number): Promise<number>;
}

const COLUMNS = ['seq', 'at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'outcome', 'status', 'details', 'prev_hash', 'hash'] as const;
/**
 * Rows per INSERT (12 parameters each, well under either database's limit). Between two chunks
 * the append yields to the event loop: SQLite runs a statement synchronously, and proxied calls
 * with a warm account (no SQL) keep flowing while a large batch is written.
 */
const INSERT_CHUNK = 100;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function insertStatement(rows: number, dialect: StoreDialect): string {
  let n = 0;
  const placeholder = dialect === 'postgres' ? () => `$${++n}` : () => '?';
  const tuples = Array.from({ length: rows }, () => `(${COLUMNS.map(placeholder).join(',')})`);
  return `insert into audit_entries (${COLUMNS.join(',')}) values ${tuples.join(',')}`;
}

export function auditRepository(anyDb: Kysely<any>, dialect: StoreDialect): AuditRepository {
  const db = anyDb as Kysely<AuditDatabase>;
  const statements = new Map<number, string>();
  /** One multi-row INSERT of `rows` entries whose 12 values each are laid out in `parameters`. */
  const insert = (trx: Kysely<AuditDatabase>, rows: number, parameters: unknown[]) => {
    let text = statements.get(rows);
    if (text === undefined) statements.set(rows, (text = insertStatement(rows, dialect)));
    return trx.executeQuery(CompiledQuery.raw(text, parameters));
  };
  // The first statement of both writers takes the head's row lock (Postgres) or the write lock
  // (SQLite, where a transaction that read first could not upgrade): the appends of every
  // instance and the prune queue up behind it.
  const lockHead = async (trx: Kysely<AuditDatabase>): Promise<AuditChainRow> => {
    await trx.updateTable('audit_chain').set((eb) => ({ last_seq: eb.ref('last_seq') })).where('id', '=', 1).execute();
    const head = await trx.selectFrom('audit_chain').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    return { ...head, last_seq: Number(head.last_seq), pruned_seq: Number(head.pruned_seq) };
  };

  return {
    async append(entries) {
      if (entries.length === 0) return (await this.head()).last_seq;
      return db.transaction().execute(async (trx) => {
        const head = await lockHead(trx);
        let seq = head.last_seq;
        let prev = head.last_hash;
        // Chained and laid out as INSERT parameters in one pass: no intermediate row objects.
        for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
          if (start > 0) await yieldToEventLoop();
          const end = Math.min(start + INSERT_CHUNK, entries.length);
          const parameters: unknown[] = new Array((end - start) * COLUMNS.length);
          let p = 0;
          for (let i = start; i < end; i++) {
            const entry = entries[i]!;
            seq++;
            const hash = entryHash(prev, seq, entry);
            parameters[p++] = seq;
            parameters[p++] = entry.at;
            parameters[p++] = entry.actor_type;
            parameters[p++] = entry.actor_id;
            parameters[p++] = entry.action;
            parameters[p++] = entry.target_type;
            parameters[p++] = entry.target_id;
            parameters[p++] = entry.outcome;
            parameters[p++] = entry.status;
            parameters[p++] = entry.details;
            parameters[p++] = prev;
            parameters[p++] = hash;
            prev = hash;
          }
          await insert(trx, end - start, parameters);
        }
        await trx.updateTable('audit_chain').set({ last_seq: seq, last_hash: prev }).where('id', '=', 1).execute();
        return seq;
      });
    },

    async head() {
      const head = await db.selectFrom('audit_chain').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
      return { ...head, last_seq: Number(head.last_seq), pruned_seq: Number(head.pruned_seq) };
    },

    async page(afterSeq, upToSeq, limit) {
      const rows = await db.selectFrom('audit_entries').selectAll().where('seq', '>', afterSeq).where('seq', '<=', upToSeq).orderBy('seq').limit(limit).execute();
      return rows.map(normalized);
    },

    async range(from, to, afterSeq, limit) {
      const rows = await db
        .selectFrom('audit_entries')
        .selectAll()
        .where('at', '>=', from)
        .where('at', '<', to)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(normalized);
    },

    async prune(before, limit) {
      return db.transaction().execute(async (trx) => {
        const head = await lockHead(trx);
        const firstKept = await trx
          .selectFrom('audit_entries')
          .select((eb) => eb.fn.min('seq').as('seq'))
          .where('seq', '>', head.pruned_seq)
          .where('at', '>=', before)
          .executeTakeFirst();
        const keptFrom = firstKept?.seq == null ? head.last_seq + 1 : Number(firstKept.seq);
        const last = Math.min(keptFrom - 1, head.pruned_seq + limit);
        if (last <= head.pruned_seq) return 0;
        const boundary = await trx.selectFrom('audit_entries').select(['hash', 'at']).where('seq', '=', last).executeTakeFirst();
        // A missing boundary row is a gap someone made: leave it for `verify` to name.
        if (boundary === undefined) return 0;
        const removed = await trx.deleteFrom('audit_entries').where('seq', '>', head.pruned_seq).where('seq', '<=', last).executeTakeFirst();
        await trx.updateTable('audit_chain').set({ pruned_seq: last, pruned_hash: boundary.hash, pruned_at: Number(boundary.at) }).where('id', '=', 1).execute();
        return Number(removed.numDeletedRows);
      });
    },
  };
}

function normalized(row: AuditEntry): AuditEntry {
  return { ...row, seq: Number(row.seq), at: Number(row.at), status: row.status === null ? null : Number(row.status) };
}
