import type { Kysely, Migration } from 'kysely';

/**
 * One proxy pipeline, three front doors (DESIGN.md §9): each request-log row says which door the
 * call came through (`proxy` for every row before this), the tool and execution of a tool or MCP
 * call, and who called: `actor` as `<type>:<id>` (`api_client:tpc_…`), one column because every
 * column is bound and written once per proxied call. No index, for the same reason: the log is
 * bounded (TOOLPROXY_REQUEST_LOG_MAX_ROWS) and read newest first by id. Frozen once released.
 */
export function pipelineMigration(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('request_log').addColumn('door', 'text', (c) => c.notNull().defaultTo('proxy')).execute();
      for (const column of ['tool_name', 'execution_id', 'actor']) {
        await db.schema.alterTable('request_log').addColumn(column, 'text').execute();
      }
    },
  };
}
