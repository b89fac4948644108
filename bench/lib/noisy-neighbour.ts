import { flood } from './clients.ts';
import type { Measured } from './rounds.ts';
import { alternate } from './rounds.ts';
import type { Verdict } from './scenarios.ts';
import { log, ms } from './stats.ts';
import type { Target } from './targets.ts';

/** The noisy neighbour (security checklist P19): calls one account keeps in flight, on an upstream path this slow. */
const CALLS = 1000;
const SLOW_MS = 2000;

export interface NoisyNeighbour {
  others: Measured;
  neighbour: { ok: number; refused: number; failed: number };
  calls: number;
  slowMs: number;
}

/**
 * While user_0 keeps CALLS calls on a SLOW_MS upstream path (calling again after Retry-After
 * when refused), the other accounts (user_1 …) are measured at the fixed rate of `target`.
 */
export async function noisyNeighbour(
  target: Target,
  server: { port: number; token: string },
  options: { accounts: number; connections: number; delayMs: number; seconds: number; rounds: number; wrkCpus?: string },
): Promise<NoisyNeighbour> {
  log(`noisy neighbour: user_0 keeps ${CALLS} calls on a ${SLOW_MS} ms upstream; user_1…user_${options.accounts - 1} at the fixed rate`);
  const neighbour = flood(`http://127.0.0.1:${server.port}/proxy/slow/${SLOW_MS}`, server.token, 'user_0', CALLS);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const others: Target = { ...target, name: 'other accounts', env: { ...target.env, TP_ACCOUNTS: String(options.accounts - 1), TP_FIRST: '1' } };
  const measured = await alternate('noisy neighbour', [others], { ...options, warmupSeconds: 0 });
  const counts = await neighbour.stop();
  log(`noisy neighbour: user_0 got ${counts.ok} answers, ${counts.refused} refusals (429), ${counts.failed} failures`);
  return { others: measured['other accounts']!, neighbour: counts, calls: CALLS, slowMs: SLOW_MS };
}

export function noisyNeighbourVerdict(result: NoisyNeighbour, alone: Measured): Verdict {
  return {
    target: `noisy neighbour (P19): other accounts' p99`,
    value: ms(result.others.p99_us),
    goal: '',
    detail: `${ms(alone.p99_us)} without it; the neighbour got ${result.neighbour.ok} answers and ${result.neighbour.refused} refusals (429)`,
  };
}
