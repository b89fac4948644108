import type { Measured, Round } from './rounds.ts';
import { median } from './stats.ts';

/** What a check compares, per round. */
export type Metric = 'rps' | 'p50' | 'p99' | 'cpuPerCall';

/**
 * One line of the verdict table from a load scenario: `subject` against `baseline` on `metric`,
 * per round (the two ran back to back), the verdict being the median over the rounds.
 * `ratio` divides (req/s, CPU per call), `added` subtracts (latency, in µs). With neither
 * `atLeast` nor `atMost` the line is printed for information.
 */
export interface Check {
  label: string;
  subject: string;
  baseline: string;
  metric: Metric;
  compare: 'ratio' | 'added';
  atLeast?: number;
  atMost?: number;
}

/**
 * A load scenario: the targets (by name; see run.ts) measured in turn each round, the load, and
 * the checks. A scenario runs once all its targets are up.
 */
export interface LoadScenario {
  name: string;
  targets: readonly string[];
  connections: number;
  /** Mean pause per connection between calls, for a fixed rate; closed loop when absent. */
  delayMs?: number;
  /** Seconds per round, when it must be at least this (BENCH_SECONDS otherwise). */
  minSeconds?: number;
  checks: readonly Check[];
}

/** A line of the verdict table. `met` undefined: for information. */
export interface Verdict {
  target: string;
  value: string;
  goal: string;
  met?: boolean;
  detail?: string;
}

const value = (round: Round, metric: Metric): number =>
  metric === 'rps' ? round.rps : metric === 'p50' ? round.latency_us.p50 : metric === 'p99' ? round.latency_us.p99 : round.cpuPerCall_us;

const overall = (measured: Measured, metric: Metric): number =>
  metric === 'rps' ? measured.rps : metric === 'p50' ? measured.p50_us : metric === 'p99' ? measured.p99_us : measured.cpuPerCall_us;

export function micros(us: number): string {
  const sign = us > 0 ? '+' : us < 0 ? '−' : '';
  const abs = Math.abs(us);
  return abs < 1000 ? `${sign}${abs.toFixed(0)} µs` : `${sign}${(abs / 1000).toFixed(2)} ms`;
}

export function evaluate(check: Check, measured: Record<string, Measured>): Verdict {
  const subject = measured[check.subject];
  const baseline = measured[check.baseline];
  if (!subject || !baseline) throw new Error(`check "${check.label}": ${check.subject} or ${check.baseline} was not measured`);
  const perRound = subject.rounds.map((round, i) => {
    const a = value(round, check.metric);
    const b = value(baseline.rounds[i]!, check.metric);
    return check.compare === 'ratio' ? a / b : a - b;
  });
  const result = median(perRound);
  const show = (x: number) => (check.compare === 'ratio' ? x.toFixed(3) : micros(x));
  const whole = check.compare === 'ratio'
    ? overall(subject, check.metric) / overall(baseline, check.metric)
    : overall(subject, check.metric) - overall(baseline, check.metric);
  const goal = check.atLeast !== undefined ? `≥ ${show(check.atLeast)}` : check.atMost !== undefined ? `≤ ${show(check.atMost)}` : '';
  const met = check.atLeast !== undefined ? result >= check.atLeast : check.atMost !== undefined ? result <= check.atMost : undefined;
  const detail = perRound.length > 1
    ? `rounds ${perRound.map(show).join(', ')}; ${check.compare === 'ratio' ? 'of totals' : 'of medians'} ${show(whole)}`
    : '';
  return { target: check.label, value: show(result), goal, ...(met === undefined ? {} : { met }), detail };
}
