import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackage } from './packages.ts';
import { pinned } from './processes.ts';

const SCRIPT = fileURLToPath(new URL('../wrk/proxy.lua', import.meta.url));

export interface WrkResult {
  requests: number;
  duration_us: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latency_us: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  /** Derived: requests per second. */
  rps: number;
}

/** Installs wrk from Debian's packages when it is missing. */
export function ensureWrk(): void {
  ensureDebianPackage('wrk', ['--version'], 'wrk');
}

export interface WrkRun {
  url: string;
  seconds: number;
  connections: number;
  cpus?: string;
  /** TP_TOKEN, TP_ACCOUNTS, TP_ORDER, TP_DELAY_MS (see wrk/proxy.lua). */
  env?: Record<string, string>;
}

export function runWrk(run: WrkRun): Promise<WrkResult> {
  const [command, args] = pinned(run.cpus, 'wrk', [
    '-t1',
    `-c${run.connections}`,
    `-d${run.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    SCRIPT,
    run.url,
  ]);
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, ...run.env }, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk failed: ${error.message}\n${stderr}`));
      const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (!line) return reject(new Error(`wrk printed no result:\n${stdout}\n${stderr}`));
      const parsed = JSON.parse(line.slice('WRK_JSON '.length)) as Omit<WrkResult, 'rps'>;
      resolve({ ...parsed, rps: parsed.requests / (parsed.duration_us / 1e6) });
    });
  });
}
