import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.ts';

/**
 * OAuth: the refresh lease on connected accounts (a row-level lock held by an owner until a
 * time, so a rotating refresh token is used once cluster-wide without holding a transaction
 * across the token call: security-checklist §3.3), and the authorization-code flow's state on
 * authorization sessions. Frozen once released.
 */
export function oauthMigration(dialect: StoreDialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('connected_accounts').addColumn('refresh_owner', 'text').execute();
      await db.schema.alterTable('connected_accounts').addColumn('refresh_lease_until', int64).execute();
      await db.schema.alterTable('connected_accounts').addColumn('granted_scopes', 'text').execute();

      // SQLite adds one column per ALTER TABLE statement.
      for (const [name, type] of [
        ['oauth_state_hash', 'text'],
        ['browser_binding_hash', 'text'],
        ['pkce_verifier', 'text'],
        ['pending_api_config', 'text'],
        ['redirect_url', 'text'],
        ['user_verify_url', 'text'],
        ['auth_request_hash', 'text'],
        ['verified_at', int64],
      ] as const) {
        await db.schema.alterTable('authorization_sessions').addColumn(name, type).execute();
      }
      await db.schema.createIndex('authorization_sessions_oauth_state_idx').on('authorization_sessions').column('oauth_state_hash').unique().execute();
      await db.schema.createIndex('authorization_sessions_auth_request_idx').on('authorization_sessions').column('auth_request_hash').unique().execute();
    },
  };
}
