import { collectDefaultMetrics, type Metric, Registry } from 'prom-client';
import type { ProxyCallRecord } from './request-log.ts';

/** Latency buckets in seconds: sub-millisecond proxy overhead up to slow upstream exports. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
/** The `connection` label of calls that failed before an account was resolved (the header is caller input). */
export const UNRESOLVED = '(none)';

class ConnectionStats {
  /** Calls per status class, for calls without an error code. */
  readonly byClass = [0, 0, 0, 0, 0];
  /** Calls per `statusClass|code`, for our errors and broken-off responses. */
  readonly byError = new Map<string, number>();
  readonly buckets = new Array<number>(BUCKETS.length).fill(0);
  count = 0;
  sum = 0;
  bytesIn = 0;
  bytesOut = 0;
}

type Sample = { value: number; labels: Record<string, string>; metricName?: string };

/**
 * Per-connection metrics of the proxy, in a registry owned by this app (never prom-client's
 * global one). The hot path only bumps numbers in a per-connection record; prom-client renders
 * them when /metrics is scraped. Labels are the connection name (admin-created, bounded),
 * status class and error code: never identifiers, paths or anything secret (cardinality, S13).
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly #stats = new Map<string, ConnectionStats>();

  constructor(options: { requestLogDropped?: () => number; concurrency?: { stats(): { inFlight: number; waiting: number } } } = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'toolproxy_' });
    const dropped = options.requestLogDropped;
    this.#register('toolproxy_proxy_requests_total', 'Proxied calls by connection, status class and our error code (empty when the upstream answered).', 'counter', () => this.#requests());
    this.#register('toolproxy_proxy_request_duration_seconds', 'Time from the call arriving to the last response byte, by connection.', 'histogram', () => this.#durations());
    this.#register('toolproxy_proxy_request_bytes_total', 'Request body bytes sent upstream, by connection.', 'counter', () => this.#each((s) => s.bytesIn));
    this.#register('toolproxy_proxy_response_bytes_total', 'Response body bytes sent to callers, by connection.', 'counter', () => this.#each((s) => s.bytesOut));
    if (dropped) this.#register('toolproxy_request_log_dropped_total', 'Request log entries dropped because the database fell behind.', 'counter', () => [{ value: dropped(), labels: {} }]);
    // P19; calls refused by the limits are counted in toolproxy_proxy_requests_total{code="CONCURRENCY_LIMIT_EXCEEDED"}.
    const limiter = options.concurrency;
    if (limiter) {
      this.#register('toolproxy_proxy_calls_in_flight', 'Proxied calls holding a concurrency slot now.', 'gauge', () => [{ value: limiter.stats().inFlight, labels: {} }]);
      this.#register('toolproxy_proxy_calls_waiting', 'Proxied calls waiting in a queue for a concurrency slot now.', 'gauge', () => [{ value: limiter.stats().waiting, labels: {} }]);
    }
  }

  /** `connection` must be a resolved connection name or UNRESOLVED, never raw caller input. */
  observe(connection: string, call: ProxyCallRecord): void {
    let stats = this.#stats.get(connection);
    if (stats === undefined) this.#stats.set(connection, (stats = new ConnectionStats()));
    const statusClass = Math.min(5, Math.max(1, Math.floor(call.status / 100))) - 1;
    if (call.errorCode === null) stats.byClass[statusClass]!++;
    else {
      const key = `${STATUS_CLASSES[statusClass]}|${call.errorCode}`;
      stats.byError.set(key, (stats.byError.get(key) ?? 0) + 1);
    }
    const seconds = call.latencyMs / 1000;
    stats.count++;
    stats.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        stats.buckets[i]!++;
        break;
      }
    }
    stats.bytesIn += call.bytesIn;
    stats.bytesOut += call.bytesOut;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  #register(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => Sample[]): void {
    // A metric whose values are read from our own records at scrape time (prom-client's
    // `get()` contract); prom-client does the naming, escaping and exposition format.
    const metric = { name, help, type, aggregator: 'sum', get: () => ({ name, help, type, aggregator: 'sum', values: values() }) };
    this.registry.registerMetric(metric as unknown as Metric);
  }

  #each(value: (stats: ConnectionStats) => number): Sample[] {
    return [...this.#stats].map(([connection, stats]) => ({ value: value(stats), labels: { connection } }));
  }

  #requests(): Sample[] {
    const samples: Sample[] = [];
    for (const [connection, stats] of this.#stats) {
      stats.byClass.forEach((value, i) => {
        if (value > 0) samples.push({ value, labels: { connection, status_class: STATUS_CLASSES[i]!, code: '' } });
      });
      for (const [key, value] of stats.byError) {
        const [statusClass, code] = key.split('|') as [string, string];
        samples.push({ value, labels: { connection, status_class: statusClass, code } });
      }
    }
    return samples;
  }

  #durations(): Sample[] {
    const name = 'toolproxy_proxy_request_duration_seconds';
    const samples: Sample[] = [];
    for (const [connection, stats] of this.#stats) {
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += stats.buckets[i]!;
        samples.push({ metricName: `${name}_bucket`, value: cumulative, labels: { connection, le: String(le) } });
      });
      samples.push({ metricName: `${name}_bucket`, value: stats.count, labels: { connection, le: '+Inf' } });
      samples.push({ metricName: `${name}_sum`, value: stats.sum, labels: { connection } });
      samples.push({ metricName: `${name}_count`, value: stats.count, labels: { connection } });
    }
    return samples;
  }
}
