import type { Kysely } from 'kysely';
import { inTransaction } from './in-transaction.ts';
import { keyset, toPage } from './pagination.ts';
import type { Page, PageRequest } from './pagination.ts';
import type { Database, McpConfigRow } from './schema.ts';

export type McpConfigPatch = Pick<McpConfigRow, 'name' | 'description' | 'mappings' | 'user_verify_url' | 'updated_at'>;

/** MCP server configs. Names are unique; every lookup is exact (S11). */
export interface McpConfigRepository {
  /** False when the name is taken. */
  insert(row: McpConfigRow): Promise<boolean>;
  findById(id: string): Promise<McpConfigRow | undefined>;
  list(page: PageRequest): Promise<Page<McpConfigRow>>;
  update(id: string, patch: McpConfigPatch): Promise<'updated' | 'name_taken' | 'not_found'>;
  /** Deletes the config and the MCP OAuth grants made for it (their refresh tokens go with them). */
  delete(id: string): Promise<boolean>;
}

export function mcpConfigsRepository(db: Kysely<Database>): McpConfigRepository {
  return {
    async insert(row) {
      const inserted = await db
        .insertInto('mcp_configs')
        .values(row)
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async findById(id) {
      return db.selectFrom('mcp_configs').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async list(page) {
      const ks = keyset(page);
      let query = db.selectFrom('mcp_configs').selectAll().orderBy('id').limit(ks.limit);
      if (ks.after !== undefined) query = query.where('id', '>', ks.after);
      return toPage(await query.execute(), ks);
    },

    async update(id, patch) {
      return inTransaction(db, async (trx) => {
        const taken = await trx.selectFrom('mcp_configs').select('id').where('name', '=', patch.name).where('id', '<>', id).executeTakeFirst();
        if (taken) return 'name_taken' as const;
        try {
          const result = await trx.updateTable('mcp_configs').set(patch).where('id', '=', id).executeTakeFirst();
          return result.numUpdatedRows === 1n ? ('updated' as const) : ('not_found' as const);
        } catch (error) {
          // A concurrent rename to the same name lost the race on the unique constraint.
          if (/unique|duplicate/i.test(String((error as Error).message))) return 'name_taken' as const;
          throw error;
        }
      });
    },

    async delete(id) {
      return inTransaction(db, async (trx) => {
        const result = await trx.deleteFrom('mcp_configs').where('id', '=', id).executeTakeFirst();
        if (result.numDeletedRows !== 1n) return false;
        await trx.deleteFrom('mcp_grants').where('config_id', '=', id).execute();
        return true;
      });
    },
  };
}
