import type { Metric, Registry } from 'prom-client';
import type { StatementCounter } from './statement-counter.ts';

const NAME = 'toolproxy_db_statements_total';
const HELP = 'SQL statements sent to the database, by statement kind and the first table it names (request_log and the last_used_at flush are background batches).';

/**
 * Adds `toolproxy_db_statements_total{statement,table}` to `registry`, read from the counter
 * when /metrics is scraped (prom-client's `get()` contract, as in src/proxy/metrics.ts).
 */
export function registerStatementMetric(registry: Registry, counter: StatementCounter): void {
  const get = () => ({
    name: NAME,
    help: HELP,
    type: 'counter',
    aggregator: 'sum',
    values: counter.counts().map(({ statement, table, count }) => ({ value: count, labels: { statement, table } })),
  });
  registry.registerMetric({ name: NAME, help: HELP, type: 'counter', aggregator: 'sum', get } as unknown as Metric);
}
