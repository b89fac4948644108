import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.ts';

/**
 * MCP (DESIGN.md §9): server configs (the reference's virtual MCP servers), and the OAuth 2.1
 * authorization server that lets MCP clients connect by themselves: registered clients,
 * authorization requests (user verification, consent, the one-time code), grants and their
 * rotating refresh tokens. Codes and refresh tokens are stored as SHA-256 digests only (S12).
 * Frozen once released.
 */
export function mcpMigration(dialect: StoreDialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('mcp_configs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        // [{ connection_name, tools: [] }] as JSON; names are checked on write, skipped at run time when gone.
        .addColumn('mappings', 'text', (c) => c.notNull())
        .addColumn('user_verify_url', 'text')
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('updated_at', int64, (c) => c.notNull())
        .addUniqueConstraint('mcp_configs_name_key', ['name'])
        .execute();

      // Dynamically registered clients (RFC 7591). Client ID Metadata Document clients are fetched, never stored.
      await db.schema
        .createTable('mcp_oauth_clients')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('secret_hash', 'text')
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('mcp_authorization_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('code_challenge', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('config_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text')
        .addColumn('browser_binding_hash', 'text', (c) => c.notNull())
        .addColumn('auth_request_hash', 'text', (c) => c.notNull())
        .addColumn('identifier', 'text')
        .addColumn('verified_at', int64)
        .addColumn('code_hash', 'text')
        .addColumn('code_expires_at', int64)
        .addColumn('code_used_at', int64)
        .addColumn('grant_id', 'text')
        .addColumn('expires_at', int64, (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addUniqueConstraint('mcp_authorization_requests_auth_request_key', ['auth_request_hash'])
        .addUniqueConstraint('mcp_authorization_requests_code_key', ['code_hash'])
        .execute();
      await db.schema.createIndex('mcp_authorization_requests_expires_at_idx').on('mcp_authorization_requests').column('expires_at').execute();

      await db.schema
        .createTable('mcp_grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('config_id', 'text', (c) => c.notNull())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('revoked_at', int64)
        .execute();

      // One row per refresh token ever issued: a rotated one stays (rotated_at set) so its reuse is recognised.
      await db.schema
        .createTable('mcp_refresh_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('grant_id', 'text', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('expires_at', int64, (c) => c.notNull())
        .addColumn('rotated_at', int64)
        .addForeignKeyConstraint('mcp_refresh_tokens_grant_id_fkey', ['grant_id'], 'mcp_grants', ['id'], (fk) => fk.onDelete('cascade'))
        .execute();
      await db.schema.createIndex('mcp_refresh_tokens_grant_id_idx').on('mcp_refresh_tokens').column('grant_id').execute();
    },
  };
}
