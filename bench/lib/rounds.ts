import { cpuMicros } from './cpu.ts';
import { log, median, ms } from './stats.ts';
import type { Target } from './targets.ts';
import { runWrk, type WrkResult } from './wrk.ts';

/** One target in one round. */
export interface Round extends WrkResult {
  /** CPU time of the target's processes per completed call, in µs. */
  cpuPerCall_us: number;
}

/** One target over all rounds of a scenario. */
export interface Measured {
  /** Calls per second over all rounds together. */
  rps: number;
  /** Medians of the rounds' values. */
  p50_us: number;
  p99_us: number;
  cpuPerCall_us: number;
  errors: number;
  rounds: Round[];
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  /** Mean pause per connection between calls (a fixed-rate run); 0 or absent: closed loop. */
  delayMs?: number;
  wrkCpus?: string;
}

/** One wrk run against one target, with the CPU its processes used. */
export async function measure(target: Target, options: { connections: number; seconds: number; delayMs?: number; wrkCpus?: string }): Promise<Round> {
  const env = { ...target.env, ...(options.delayMs ? { TP_DELAY_MS: String(options.delayMs) } : {}) };
  const pids = target.pids();
  const cpuBefore = cpuMicros(pids);
  const result = await runWrk({ url: target.url, seconds: options.seconds, connections: options.connections, cpus: options.wrkCpus, env });
  const cpu = cpuMicros(pids) - cpuBefore;
  return { ...result, cpuPerCall_us: result.requests > 0 ? cpu / result.requests : NaN };
}

/**
 * Warms every target, then runs the rounds; in each round every target is measured once, back to
 * back, so a round's ratios compare runs that saw the same background load.
 */
export async function alternate(label: string, targets: readonly Target[], options: LoadOptions): Promise<Record<string, Measured>> {
  const run = { connections: options.connections, delayMs: options.delayMs, wrkCpus: options.wrkCpus };
  if (options.warmupSeconds > 0) for (const target of targets) await measure(target, { ...run, seconds: options.warmupSeconds });
  const rounds = new Map<string, Round[]>(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    for (const target of targets) {
      const result = await measure(target, { ...run, seconds: options.seconds });
      rounds.get(target.name)!.push(result);
      log(`${label} round ${round}/${options.rounds} ${target.name}: ${result.rps.toFixed(0)} req/s, p50 ${ms(result.latency_us.p50)}, p99 ${ms(result.latency_us.p99)}, ${result.cpuPerCall_us.toFixed(1)} µs CPU/call`);
    }
  }
  return Object.fromEntries([...rounds].map(([name, results]) => [name, summarise(results)]));
}

export function summarise(rounds: Round[]): Measured {
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.duration_us, 0) / 1e6;
  const errors = rounds.reduce((sum, r) => sum + r.errors.status + r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout, 0);
  return {
    rps: requests / seconds,
    p50_us: median(rounds.map((r) => r.latency_us.p50)),
    p99_us: median(rounds.map((r) => r.latency_us.p99)),
    cpuPerCall_us: median(rounds.map((r) => r.cpuPerCall_us)),
    errors,
    rounds,
  };
}
