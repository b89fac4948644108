import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.ts';

/**
 * Human approval (issue 14, docs/approvals.md): a proxied call a policy rule holds until a person
 * approves or denies it. The row keeps what is needed to run the call later, once: its routing,
 * method, path and query, the headers that would go upstream (never an injected credential) and the body as
 * vault ciphertext bound to `approvals|<id>|body` (the headers likewise, `…|headers`: a caller may send
 * its own secrets in them). Both are deleted once the call ran, was denied or expired. Frozen once
 * released.
 */
export function approvalsMigration(dialect: StoreDialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('approvals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // PENDING → APPROVED | DENIED | EXPIRED; APPROVED → EXECUTING → EXECUTED (src/approvals/approval-status.ts).
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('connection_name', 'text', (c) => c.notNull())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        // Vault ciphertext of the JSON object of the caller's headers that pass the header policy.
        .addColumn('headers', 'text')
        .addColumn('body', 'text')
        .addColumn('body_bytes', int64, (c) => c.notNull())
        .addColumn('door', 'text', (c) => c.notNull())
        .addColumn('tool_name', 'text')
        .addColumn('execution_id', 'text')
        .addColumn('requested_by', 'text')
        .addColumn('rule', 'text', (c) => c.notNull())
        // 1 while the caller holds its request open for the decision (x-toolproxy-approval-wait).
        .addColumn('waiting', 'integer', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('expires_at', int64, (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', int64)
        .addColumn('executed_by', 'text')
        .addColumn('executed_at', int64)
        .addColumn('result_status', 'integer')
        .addColumn('result_error', 'text')
        .execute();
      await db.schema.createIndex('approvals_status_idx').on('approvals').columns(['status', 'expires_at']).execute();
    },
  };
}
