import { type Kysely, sql } from 'kysely';
import type { SecretColumn, SecretRepository } from './repositories.ts';
import type { Database } from './schema.ts';

/**
 * Every column that holds vault ciphertext (`v1.<kid>.…`, bound by AAD to
 * `<table>|<id>|<column>`). Key rotation walks exactly this list, so a new secret column must be
 * added here. `version` names the compare-and-set counter its writers bump, if it has one.
 */
export const SECRET_COLUMNS = [
  { table: 'connected_accounts', column: 'credentials', version: 'credentials_version' },
  { table: 'connections', column: 'secrets' },
  { table: 'authorization_sessions', column: 'pkce_verifier' },
  { table: 'token_revocations', column: 'token' },
  { table: 'approvals', column: 'headers' },
  { table: 'approvals', column: 'body' },
] as const satisfies readonly SecretColumn[];

export function secretsRepository(db: Kysely<Database>): SecretRepository {
  // A kid is base64url, so LIKE (where `_` is a wildcard) would be wrong; compare the prefix.
  const notOnKid = (column: SecretColumn, kid: string) => {
    const prefix = `v1.${kid}.`;
    return sql`${sql.ref(column.column)} is not null and substr(${sql.ref(column.column)}, 1, ${prefix.length}) <> ${prefix}`;
  };

  return {
    async countNotOnKid(column, kid) {
      const result = await sql<{ count: number | string }>`select count(*) as count from ${sql.table(column.table)} where ${notOnKid(column, kid)}`.execute(db);
      return Number(result.rows[0]?.count ?? 0);
    },

    async listNotOnKid(column, kid, afterId, limit) {
      const version = column.version ? sql.ref(column.version) : sql`null`;
      const after = afterId === null ? sql`` : sql` and id > ${afterId}`;
      const result = await sql<{ id: string; value: string; version: number | string | null }>`
        select id, ${sql.ref(column.column)} as value, ${version} as version
        from ${sql.table(column.table)}
        where ${notOnKid(column, kid)}${after}
        order by id
        limit ${limit}`.execute(db);
      return result.rows.map((row) => ({ id: row.id, value: row.value, version: row.version === null ? null : Number(row.version) }));
    },

    async replace(column, current, next) {
      const version = column.version && current.version !== null ? sql` and ${sql.ref(column.version)} = ${current.version}` : sql``;
      const result = await sql`
        update ${sql.table(column.table)} set ${sql.ref(column.column)} = ${next}
        where id = ${current.id} and ${sql.ref(column.column)} = ${current.value}${version}`.execute(db);
      return Number(result.numAffectedRows ?? 0n) === 1;
    },
  };
}
