import type { Kysely, Migration } from 'kysely';

/**
 * One proxy pipeline, three front doors (DESIGN.md §9): each request-log row says which door the
 * call came through (`proxy` for every row before this), the tool and execution of a tool or MCP
 * call, and who called (the actor). No index: the log is bounded (TOOLPROXY_REQUEST_LOG_MAX_ROWS)
 * and read newest first by id, and every index is one more write per proxied call. Frozen once
 * released.
 */
export function pipelineMigration(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('request_log').addColumn('door', 'text', (c) => c.notNull().defaultTo('proxy')).execute();
      for (const column of ['tool_name', 'execution_id', 'actor_type', 'actor_id']) {
        await db.schema.alterTable('request_log').addColumn(column, 'text').execute();
      }
    },
  };
}
