import type { Verdict } from './scenarios.ts';

/** `toolproxy_db_statements_total` from /metrics: `"<statement> <table>"` → count. */
export async function readStatements(baseUrl: string, token: string): Promise<Map<string, number>> {
  const response = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const counts = new Map<string, number>();
  for (const match of (await response.text()).matchAll(/^toolproxy_db_statements_total\{statement="(\w*)",table="(\w*)"\} (\d+)$/gm)) {
    counts.set(`${match[1]} ${match[2]}`.trim(), Number(match[3]));
  }
  if (counts.size === 0) throw new Error('/metrics has no toolproxy_db_statements_total (is the statement counter registered in src/server.ts?)');
  return counts;
}

/**
 * The background batch writers, told apart by what they write: the request log (its batch insert,
 * a timer every 250 ms, and the prune: select max(id), delete) and the last_used_at flush (an
 * `update connected_accounts` every 10 s). Neither runs on a call's path: the route only pushes a
 * row to an array and marks the cached account. Everything else counts against the call's path,
 * including the account cache's background revalidation (a select every 3/4 of the cache TTL;
 * none falls in the bench's windows), so the count is an upper bound.
 */
export function isBackground(key: string): boolean {
  return (
    key.endsWith(' request_log') ||
    key === 'update connected_accounts' ||
    // The audit trail's batch (docs/audit.md): a transaction on a timer (its begin and commit below).
    key.endsWith(' audit_entries') ||
    key.endsWith(' audit_chain') ||
    // The webhook delivery worker (docs/webhooks.md): its poll of the outbox every 2 s (a claim,
    // `update webhook_deliveries`), the attempts it records and its hourly prune.
    key.endsWith(' webhook_deliveries') ||
    key.endsWith(' webhook_events') ||
    // readStatements trims the key, so a statement that names no table is just its kind.
    key === 'begin' ||
    key === 'commit'
  );
}

export interface StatementCount {
  calls: number;
  onPath: Record<string, number>;
  background: Record<string, number>;
}

export function countStatements(before: Map<string, number>, after: Map<string, number>, calls: number): StatementCount {
  const onPath: Record<string, number> = {};
  const background: Record<string, number> = {};
  for (const [key, count] of after) {
    const added = count - (before.get(key) ?? 0);
    if (added > 0) (isBackground(key) ? background : onPath)[key] = added;
  }
  return { calls, onPath, background };
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);
const list = (counts: Record<string, number>) => Object.entries(counts).map(([key, n]) => `${key} ${n}`).join(', ') || 'none';

/**
 * Two lines per database: statements on the call's path per call (the target: 0), and background
 * statements per call, which must stay batched: a write per call hidden among the background
 * kinds would make it 1 or more; timers flushing a few rows each at a low rate stay far below 0.5.
 */
export function statementVerdicts(database: string, count: StatementCount): Verdict[] {
  const onPath = total(count.onPath);
  const background = total(count.background);
  return [
    {
      target: `SQL statements per warm call, ${database}`,
      value: (onPath / count.calls).toFixed(4),
      goal: '= 0',
      met: onPath === 0,
      detail: `${onPath} on the call's path in ${count.calls.toLocaleString('en')} calls (${list(count.onPath)})`,
    },
    {
      target: `background statements per call, ${database}`,
      value: (background / count.calls).toFixed(4),
      goal: '≤ 0.5 (batched)',
      met: background / count.calls <= 0.5,
      detail: list(count.background),
    },
  ];
}
