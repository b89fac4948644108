import type { Migration, MigrationProvider } from 'kysely';
import type { StoreDialect } from '../dialect.ts';
import { initialMigration } from './0001-initial.ts';
import { oauthMigration } from './0002-oauth.ts';
import { catalogMigration } from './0003-catalog.ts';
import { pipelineMigration } from './0004-pipeline.ts';
import { accountsMigration } from './0005-accounts.ts';
import { toolsMigration } from './0006-tools.ts';
import { mcpMigration } from './0007-mcp.ts';
import { policiesMigration } from './0008-policies.ts';
import { auditMigration } from './0009-audit.ts';
import { approvalsMigration } from './0012-approvals.ts';

/**
 * Every migration, in order, as code: nothing is read from the filesystem at run time, so a
 * bundled or compiled server migrates the same way as the source tree. Names sort in the
 * order they run (kysely refuses to run them out of order). Never edit or rename a released one.
 */
export function migrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(dialect),
    '0002-oauth': oauthMigration(dialect),
    '0003-catalog': catalogMigration(),
    '0004-pipeline': pipelineMigration(),
    '0005-accounts': accountsMigration(dialect),
    '0006-tools': toolsMigration(dialect),
    '0007-mcp': mcpMigration(dialect),
    '0008-policies': policiesMigration(dialect),
    '0009-audit': auditMigration(dialect),
    '0012-approvals': approvalsMigration(dialect),
  };
}

export class InCodeMigrationProvider implements MigrationProvider {
  readonly #dialect: StoreDialect;

  constructor(dialect: StoreDialect) {
    this.#dialect = dialect;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.#dialect);
  }
}
