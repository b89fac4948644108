/** One time bucket of the request log stats (the dashboard draws these as they are). */
export interface StatsBucket {
  /** Start of the bucket, ISO 8601. */
  start: string;
  count: number;
  /** Calls answered with 4xx/5xx, plus calls that broke off after the status line (error_code set). */
  errors: number;
  /** Nearest-rank percentiles of latency in ms; null for an empty bucket. */
  p50_ms: number | null;
  p99_ms: number | null;
}

interface Sample {
  created_at: number;
  status: number;
  latency_ms: number;
  error_code: string | null;
}

/** Groups samples into buckets `[first, first + bucketMs)` … `[last, last + bucketMs)`; pure. */
export function bucketize(samples: readonly Sample[], first: number, last: number, bucketMs: number): StatsBucket[] {
  const count = Math.floor((last - first) / bucketMs) + 1;
  const latencies: number[][] = Array.from({ length: count }, () => []);
  const errors = new Array<number>(count).fill(0);
  for (const sample of samples) {
    const index = Math.floor((sample.created_at - first) / bucketMs);
    if (index < 0 || index >= count) continue;
    latencies[index]!.push(sample.latency_ms);
    if (sample.status >= 400 || sample.error_code !== null) errors[index]!++;
  }
  return latencies.map((values, i) => {
    values.sort((a, b) => a - b);
    return {
      start: new Date(first + i * bucketMs).toISOString(),
      count: values.length,
      errors: errors[i]!,
      p50_ms: percentile(values, 0.5),
      p99_ms: percentile(values, 0.99),
    };
  });
}

/** Nearest rank: the smallest value with at least `p` of the sorted values at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]!;
}
