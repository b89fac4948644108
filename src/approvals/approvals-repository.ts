import type { Kysely } from 'kysely';
import { keyset, toPage } from '../store/pagination.ts';
import type { Page, PageRequest } from '../store/repositories.ts';
import type { ApprovalRow, ApprovalStatus, Database } from '../store/schema.ts';

/**
 * The `approvals` table. Every state change is one conditional UPDATE (compare-and-set on the
 * status), so two instances, or an approver and a waiting caller, can never both win: exactly
 * one decides, and exactly one runs the approved call.
 */
export interface ApprovalRepository {
  insert(row: ApprovalRow): Promise<void>;
  findById(id: string): Promise<ApprovalRow | undefined>;
  /** Keyset pages in id order; `status` filters (expired ones are marked first, see `expireDue`). */
  list(page: PageRequest, filter: { status?: ApprovalStatus }): Promise<Page<ApprovalRow>>;
  /** PENDING approvals whose time is up become EXPIRED (their headers and body deleted); returns how many. */
  expireDue(now: number): Promise<number>;
  /** PENDING (and not expired at `now`) → APPROVED or DENIED; the row as decided, or undefined when it was not PENDING. */
  decide(id: string, status: 'APPROVED' | 'DENIED', by: string, now: number): Promise<ApprovalRow | undefined>;
  /** The waiting caller gives up while the approval is still PENDING: the approver will run the call. False when it was decided first. */
  stopWaiting(id: string): Promise<boolean>;
  /** APPROVED → EXECUTING: the one caller that gets the row runs the call. */
  claim(id: string, by: string, now: number): Promise<ApprovalRow | undefined>;
  /** EXECUTING → EXECUTED, with what the call returned; the headers and body are deleted. */
  finish(id: string, outcome: { status: number; error: string | null }): Promise<void>;
}

export function approvalsRepository(db: Kysely<Database>): ApprovalRepository {
  return {
    async insert(row) {
      await db.insertInto('approvals').values(row).execute();
    },

    async findById(id) {
      return db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async list(page, filter) {
      const ks = keyset(page);
      let query = db.selectFrom('approvals').selectAll().orderBy('id').limit(ks.limit);
      if (ks.after !== undefined) query = query.where('id', '>', ks.after);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      return toPage(await query.execute(), ks);
    },

    async expireDue(now) {
      const result = await db
        .updateTable('approvals')
        .set({ status: 'EXPIRED', waiting: 0, headers: null, body: null })
        .where('status', '=', 'PENDING')
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async decide(id, status, by, now) {
      // A denied call never runs: what it would have sent goes at once.
      return db
        .updateTable('approvals')
        .set(status === 'DENIED' ? { status, decided_by: by, decided_at: now, headers: null, body: null } : { status, decided_by: by, decided_at: now })
        .where('id', '=', id)
        .where('status', '=', 'PENDING')
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
    },

    async stopWaiting(id) {
      const result = await db.updateTable('approvals').set({ waiting: 0 }).where('id', '=', id).where('status', '=', 'PENDING').executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async claim(id, by, now) {
      return db
        .updateTable('approvals')
        .set({ status: 'EXECUTING', executed_by: by, executed_at: now })
        .where('id', '=', id)
        .where('status', '=', 'APPROVED')
        .returningAll()
        .executeTakeFirst();
    },

    async finish(id, outcome) {
      await db
        .updateTable('approvals')
        .set({ status: 'EXECUTED', result_status: outcome.status, result_error: outcome.error, headers: null, body: null })
        .where('id', '=', id)
        .where('status', '=', 'EXECUTING')
        .execute();
    },
  };
}
