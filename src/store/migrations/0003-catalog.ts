import type { Kysely, Migration } from 'kysely';

/**
 * The built-in catalog (catalog/*.yaml): connectors now say where they come from, so a built-in
 * one can be refreshed from the catalog on start and refused to PUT and DELETE. Every connector
 * that existed before is custom. Frozen once released.
 */
export function catalogMigration(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('connectors').addColumn('origin', 'text', (c) => c.notNull().defaultTo('custom')).execute();
    },
  };
}
