import assert from 'node:assert/strict';
import type { TestServer } from './server.ts';

/**
 * The SQL statement counter as /metrics exposes it (`toolproxy_db_statements_total`), keyed
 * `"<statement> <table>"`: what the hot-path tests and the bench count.
 */
export async function statementCounts(server: TestServer, token: string): Promise<Map<string, number>> {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  const counts = new Map<string, number>();
  for (const match of (await response.text()).matchAll(/^toolproxy_db_statements_total\{statement="(\w*)",table="(\w*)"\} (\d+)$/gm)) {
    counts.set(`${match[1]} ${match[2]}`, Number(match[3]));
  }
  return counts;
}

/**
 * Statements written off the request path, in batches on a timer: the request log, the
 * last-used flush, and the audit trail's batch (a transaction: its begin and commit name no table).
 */
export const isBackgroundStatement = (key: string): boolean =>
  key.endsWith(' request_log') || key === 'update connected_accounts' || key.endsWith(' audit_entries') || key.endsWith(' audit_chain') || key === 'begin ' || key === 'commit ';
