/**
 * Settings of `npm run bench`, from the environment (bench/README.md has the table).
 * BENCH_QUICK=1 is a few-minute check of the whole run; any BENCH_* variable set explicitly wins.
 */
const quick = process.env.BENCH_QUICK === '1';

function setting(name: string, full: number, quickValue: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return quick ? quickValue : full;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return value;
}

export const settings = {
  quick,
  /** Measured seconds per target per round. */
  seconds: setting('BENCH_SECONDS', 5, 2),
  rounds: setting('BENCH_ROUNDS', 5, 1),
  warmup: setting('BENCH_WARMUP_SECONDS', 2, 1),
  /** Fixed-rate runs: about this many calls per second in all. */
  rate: setting('BENCH_RATE', 1000, 1000),
  manyAccounts: setting('BENCH_MANY_ACCOUNTS', 100_000, 5_000),
  streamBytes: setting('BENCH_STREAM_BYTES', 1024 ** 3, 100 * 1024 ** 2),
  /** Admin connection for the Postgres lines: a temporary database is created and dropped there. */
  postgresUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  /** A directory: SIGUSR2 to a server starts/stops a CPU profile written there (servers/profiler.ts). */
  profileDir: process.env.BENCH_PROFILE,
};

export type Settings = typeof settings;

/** Accounts of the ordinary toolproxy server (and the "few" side of the accounts ratio). */
export const FEW_ACCOUNTS = 10;
