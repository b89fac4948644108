import type { Insertable, Kysely } from 'kysely';
import type { Database, McpAuthorizationRequestRow, McpGrantRow, McpOAuthClientRow } from './schema.ts';

export type NewMcpAuthorizationRequest = Insertable<Database['mcp_authorization_requests']>;

export interface McpRefreshTokenRow {
  token_hash: string;
  grant_id: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
}

/**
 * The MCP authorization server's state. Every single-use step (verify, issue code, take code,
 * rotate a refresh token) is one conditional update: of any number of concurrent callers exactly
 * one gets true (RFC 6749 §4.1.2, §10.5; OAuth 2.1 §4.3.1).
 */
export interface McpAuthorizationRepository {
  insertClient(row: McpOAuthClientRow): Promise<void>;
  findClient(clientId: string): Promise<McpOAuthClientRow | undefined>;

  insertRequest(row: NewMcpAuthorizationRequest): Promise<void>;
  findRequest(id: string): Promise<McpAuthorizationRequestRow | undefined>;
  findRequestByAuthRequestHash(hash: string): Promise<McpAuthorizationRequestRow | undefined>;
  findRequestByCodeHash(hash: string): Promise<McpAuthorizationRequestRow | undefined>;
  /** The app confirmed its user: sets the identifier once, while the request is live. */
  verifyRequest(id: string, identifier: string, now: number): Promise<boolean>;
  /** The user consented: attaches the code once, to a verified, live request. */
  issueCode(id: string, codeHash: string, codeExpiresAt: number, now: number): Promise<boolean>;
  /** Spends the code: true once, while it is unexpired. */
  takeCode(id: string, now: number): Promise<boolean>;
  setRequestGrant(id: string, grantId: string): Promise<void>;
  /** Housekeeping: requests (and their codes) that expired before `before`. */
  deleteExpiredRequests(before: number): Promise<number>;

  insertGrant(row: McpGrantRow): Promise<void>;
  findGrant(id: string): Promise<McpGrantRow | undefined>;
  /** Revokes the grant (and so every token of its family); true when this call revoked it. */
  revokeGrant(id: string, now: number): Promise<boolean>;

  insertRefreshToken(row: McpRefreshTokenRow): Promise<void>;
  findRefreshToken(hash: string): Promise<McpRefreshTokenRow | undefined>;
  /** Marks the token rotated: true once, while it is unexpired and unrotated. */
  rotateRefreshToken(hash: string, now: number): Promise<boolean>;
}

export function mcpAuthorizationRepository(db: Kysely<Database>): McpAuthorizationRepository {
  const updated = (result: { numUpdatedRows: bigint }) => result.numUpdatedRows === 1n;
  return {
    async insertClient(row) {
      await db.insertInto('mcp_oauth_clients').values(row).execute();
    },

    async findClient(clientId) {
      return db.selectFrom('mcp_oauth_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    },

    async insertRequest(row) {
      await db.insertInto('mcp_authorization_requests').values(row).execute();
    },

    async findRequest(id) {
      return db.selectFrom('mcp_authorization_requests').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async findRequestByAuthRequestHash(hash) {
      return db.selectFrom('mcp_authorization_requests').selectAll().where('auth_request_hash', '=', hash).executeTakeFirst();
    },

    async findRequestByCodeHash(hash) {
      return db.selectFrom('mcp_authorization_requests').selectAll().where('code_hash', '=', hash).executeTakeFirst();
    },

    async verifyRequest(id, identifier, now) {
      const result = await db
        .updateTable('mcp_authorization_requests')
        .set({ identifier, verified_at: now })
        .where('id', '=', id)
        .where('verified_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return updated(result);
    },

    async issueCode(id, codeHash, codeExpiresAt, now) {
      const result = await db
        .updateTable('mcp_authorization_requests')
        .set({ code_hash: codeHash, code_expires_at: codeExpiresAt })
        .where('id', '=', id)
        .where('verified_at', 'is not', null)
        .where('code_hash', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return updated(result);
    },

    async takeCode(id, now) {
      const result = await db
        .updateTable('mcp_authorization_requests')
        .set({ code_used_at: now })
        .where('id', '=', id)
        .where('code_used_at', 'is', null)
        .where('code_expires_at', '>', now)
        .executeTakeFirst();
      return updated(result);
    },

    async setRequestGrant(id, grantId) {
      await db.updateTable('mcp_authorization_requests').set({ grant_id: grantId }).where('id', '=', id).execute();
    },

    async deleteExpiredRequests(before) {
      const result = await db.deleteFrom('mcp_authorization_requests').where('expires_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async insertGrant(row) {
      await db.insertInto('mcp_grants').values(row).execute();
    },

    async findGrant(id) {
      return db.selectFrom('mcp_grants').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async revokeGrant(id, now) {
      const result = await db.updateTable('mcp_grants').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return updated(result);
    },

    async insertRefreshToken(row) {
      await db.insertInto('mcp_refresh_tokens').values(row).execute();
    },

    async findRefreshToken(hash) {
      return db.selectFrom('mcp_refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    },

    async rotateRefreshToken(hash, now) {
      const result = await db
        .updateTable('mcp_refresh_tokens')
        .set({ rotated_at: now })
        .where('token_hash', '=', hash)
        .where('rotated_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return updated(result);
    },
  };
}
