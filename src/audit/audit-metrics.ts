import type { Metric, Registry } from 'prom-client';
import type { AuditTrail } from './audit-trail.ts';

/**
 * The audit trail on /metrics, read when scraped (prom-client's `get()` contract, as in
 * src/proxy/metrics.ts): what waits to be written, what was written, calls held and refused
 * because the trail could not keep up, and failed writes (retried, never dropped).
 */
export function registerAuditMetrics(registry: Registry, audit: AuditTrail): void {
  const metrics: Array<[string, string, 'counter' | 'gauge', () => number]> = [
    ['toolproxy_audit_pending', 'Audit entries recorded but not yet written (the batch being written included).', 'gauge', () => audit.pending],
    ['toolproxy_audit_written_total', 'Audit entries written by this instance.', 'counter', () => audit.stats.written],
    ['toolproxy_audit_held_total', 'Proxied calls that waited because the audit queue was full.', 'counter', () => audit.stats.held],
    ['toolproxy_audit_refused_total', 'Proxied calls refused with AUDIT_UNAVAILABLE (503) because the audit queue stayed full.', 'counter', () => audit.stats.refused],
    ['toolproxy_audit_write_failures_total', 'Audit batches that failed to write (kept and retried).', 'counter', () => audit.stats.flushFailures],
  ];
  for (const [name, help, type, value] of metrics) {
    const get = () => ({ name, help, type, aggregator: 'sum', values: [{ value: value(), labels: {} }] });
    registry.registerMetric({ name, help, type, aggregator: 'sum', get } as unknown as Metric);
  }
}
