import type { Measured } from './rounds.ts';
import type { Verdict } from './scenarios.ts';
import { ms } from './stats.ts';

/** The measurements: one block per scenario, one row per target (req/s over all rounds; medians of the rest). */
export function measurementTable(scenarios: Record<string, Record<string, Measured>>): string {
  const lines = [`${'scenario / target'.padEnd(46)} ${'req/s'.padStart(8)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'CPU/call'.padStart(10)} ${'errors'.padStart(7)}`];
  for (const [scenario, targets] of Object.entries(scenarios)) {
    lines.push(scenario);
    for (const [name, m] of Object.entries(targets)) {
      lines.push(
        `  ${name.padEnd(44)} ${m.rps.toFixed(0).padStart(8)} ${ms(m.p50_us).padStart(10)} ${ms(m.p99_us).padStart(10)} ${`${m.cpuPerCall_us.toFixed(1)} µs`.padStart(10)} ${String(m.errors).padStart(7)}`,
      );
    }
  }
  return lines.join('\n');
}

/** The verdicts: target, value, goal, met/MISSED, and how the value came about. */
export function verdictTable(verdicts: readonly Verdict[]): string {
  const width = Math.max(...verdicts.map((v) => v.target.length), 6);
  const lines = [`${'target'.padEnd(width)}  ${'value'.padEnd(20)} ${'goal'.padEnd(20)} verdict`];
  for (const v of verdicts) {
    const verdict = v.met === undefined ? '(info)' : v.met ? 'met' : 'MISSED';
    lines.push(`${v.target.padEnd(width)}  ${v.value.padEnd(20)} ${v.goal.padEnd(20)} ${verdict.padEnd(7)} ${v.detail ?? ''}`.trimEnd());
  }
  return lines.join('\n');
}
