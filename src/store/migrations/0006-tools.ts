import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../dialect.ts';

/**
 * Tools (issue 12): typed actions over a connector, from the catalog, a custom definition or an
 * OpenAPI import. Names are unique across connectors (a tool call names only the tool) and sort
 * byte-wise on both dialects (`collate "C"` on Postgres), so pages are the same everywhere.
 * A connector's tools go with it. Frozen once released.
 */
export function toolsMigration(dialect: StoreDialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('tools')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('connector_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => (dialect === 'postgres' ? c.notNull().modifyEnd(sql`collate "C"`) : c.notNull()))
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('search_text', 'text', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('updated_at', int64, (c) => c.notNull())
        .addUniqueConstraint('tools_name_key', ['name'])
        .addForeignKeyConstraint('tools_connector_id_fkey', ['connector_id'], 'connectors', ['id'], (fk) => fk.onDelete('cascade'))
        .execute();
      // Per-connector listing and the cascade (Postgres does not index referencing columns itself).
      await db.schema.createIndex('tools_connector_id_name_idx').on('tools').columns(['connector_id', 'name']).execute();
    },
  };
}
