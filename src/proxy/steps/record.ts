import type { Call } from '../call.ts';
import { type ProxyMetrics, UNRESOLVED } from '../metrics.ts';
import type { PipelineLog, PipelineStep } from '../pipeline.ts';
import { type RequestLog, withoutQueryValues } from '../request-log.ts';

/**
 * Writes every call down, exactly once, whatever happened (DESIGN.md §7): the redacted request
 * log (batched off the hot path), the metrics per connection, and at debug level one log line.
 * Nothing secret: no headers, no bodies, no query values.
 */
export class RecordStep implements PipelineStep {
  readonly name = 'record';
  readonly #requestLog: RequestLog | undefined;
  readonly #metrics: ProxyMetrics | undefined;
  readonly #log: PipelineLog;

  constructor(deps: { requestLog?: RequestLog | undefined; metrics?: ProxyMetrics | undefined; log: PipelineLog }) {
    this.#requestLog = deps.requestLog;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
  }

  finish(call: Call): void {
    const record = call.record;
    record.latencyMs = Math.round((performance.now() - call.started) * 1000) / 1000;
    record.path = withoutQueryValues(call.request.pathAndQuery || '/');
    this.#requestLog?.record(record);
    // A connection label only once resolved: before that the name is caller input (cardinality).
    this.#metrics?.observe(call.account?.connectionName ?? UNRESOLVED, record);
    const level = this.#log.level;
    if (level === 'debug' || level === 'trace') {
      this.#log.debug(
        { method: record.method, url: record.path, status: record.status, ms: record.latencyMs, connection: record.connectionName, account: record.accountId, code: record.errorCode, door: record.door, tool: record.toolName },
        'proxied',
      );
    }
  }
}
