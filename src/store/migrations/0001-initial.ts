import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.ts';

/**
 * The initial schema, exactly as `schema.ts` describes it. Frozen: once released a migration
 * never changes; later changes are new migrations. Typed against `Kysely<any>` because the
 * `Database` interface describes the latest schema, not the one this migration sees.
 *
 * Times (epoch milliseconds) and byte counts are `int64`: `bigint` on Postgres, where `integer`
 * is 32-bit and epoch milliseconds overflow it within January 1970; `integer` on SQLite, which
 * stores up to 64 bits.
 */
export function initialMigration(dialect: StoreDialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';

  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('connectors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('updated_at', int64, (c) => c.notNull())
        .addUniqueConstraint('connectors_identifier_key', ['identifier'])
        .execute();

      await db.schema
        .createTable('connections')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('connector_id', 'text', (c) => c.notNull())
        .addColumn('auth_type', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('secrets', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('updated_at', int64, (c) => c.notNull())
        .addUniqueConstraint('connections_name_key', ['name'])
        // No cascade: a connector in use is refused (CONNECTOR_IN_USE), never silently emptied.
        .addForeignKeyConstraint('connections_connector_id_fkey', ['connector_id'], 'connectors', ['id'])
        .execute();
      await db.schema.createIndex('connections_connector_id_idx').on('connections').column('connector_id').execute();

      await db.schema
        .createTable('connected_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('connection_id', 'text', (c) => c.notNull())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('authorization_type', 'text', (c) => c.notNull())
        .addColumn('credentials', 'text')
        .addColumn('api_config', 'text', (c) => c.notNull())
        .addColumn('credentials_version', 'integer', (c) => c.notNull())
        .addColumn('token_expires_at', int64)
        .addColumn('last_used_at', int64)
        .addColumn('status_updated_at', int64, (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('updated_at', int64, (c) => c.notNull())
        // The key every SDK call routes by; getOrCreate relies on it for atomicity.
        .addUniqueConstraint('connected_accounts_connection_id_identifier_key', ['connection_id', 'identifier'])
        .addForeignKeyConstraint('connected_accounts_connection_id_fkey', ['connection_id'], 'connections', ['id'])
        .execute();
      // (connection_id, …) lookups are served by the unique constraint's index.
      await db.schema
        .createIndex('connected_accounts_connection_id_status_idx')
        .on('connected_accounts')
        .columns(['connection_id', 'status'])
        .execute();
      await db.schema.createIndex('connected_accounts_status_idx').on('connected_accounts').column('status').execute();

      await db.schema
        .createTable('authorization_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', int64, (c) => c.notNull())
        .addColumn('used_at', int64)
        .addColumn('created_at', int64, (c) => c.notNull())
        .addUniqueConstraint('authorization_sessions_token_hash_key', ['token_hash'])
        // A deleted account takes its pending links with it.
        .addForeignKeyConstraint(
          'authorization_sessions_account_id_fkey',
          ['account_id'],
          'connected_accounts',
          ['id'],
          (fk) => fk.onDelete('cascade'),
        )
        .execute();
      // Postgres does not index referencing columns by itself; the cascade needs one.
      await db.schema
        .createIndex('authorization_sessions_account_id_idx')
        .on('authorization_sessions')
        .column('account_id')
        .execute();
      await db.schema
        .createIndex('authorization_sessions_expires_at_idx')
        .on('authorization_sessions')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('api_clients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('is_bootstrap', 'integer', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('revoked_at', int64)
        .addUniqueConstraint('api_clients_client_id_key', ['client_id'])
        .execute();

      await db.schema
        .createTable('encryption_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('created_at', int64, (c) => c.notNull())
        .execute();

      // No foreign key to accounts: the log outlives the rows it mentions.
      await db.schema
        .createTable('request_log')
        .addColumn('id', dialect === 'postgres' ? 'bigint' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
        )
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('connection_name', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        // Streamed bodies can pass 2 GiB, beyond a Postgres `integer`.
        .addColumn('bytes_in', int64, (c) => c.notNull().defaultTo(0))
        .addColumn('bytes_out', int64, (c) => c.notNull().defaultTo(0))
        .addColumn('error_code', 'text')
        .execute();
      await db.schema.createIndex('request_log_created_at_idx').on('request_log').column('created_at').execute();
    },
  };
}
