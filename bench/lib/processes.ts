import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * The Node flags `npm start` gives the server (package.json's start script), so the bench runs
 * toolproxy exactly as users do, and a flag changed there is measured here.
 */
export function startScriptNodeFlags(): string[] {
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  const command = /(?:^|&&)\s*node((?:\s+--[\w-]+(?:=\S+)?)*)\s+dist\/src\/main\.js/.exec(packageJson.scripts.start);
  if (!command) throw new Error('package.json start script: expected `node [--flags] dist/src/main.js`');
  return command[1]!.trim().split(/\s+/).filter(Boolean);
}

/** `taskset` pins a process to one core; without it (or with one core) nothing is pinned. */
export const canPin = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return availableCpus().length >= 2;
  } catch {
    return false;
  }
})();

/** The CPUs this process may run on (honours a cgroup/affinity mask). */
export function availableCpus(): number[] {
  try {
    const list = execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' }).split(':').pop()!.trim();
    return list.split(',').flatMap((part) => {
      const [from, to] = part.split('-').map(Number) as [number, number | undefined];
      return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
    });
  } catch {
    return [0];
  }
}

/**
 * Pins this process (every thread) to `cpus`: the orchestrator's own clients (warm-up, streaming,
 * the noisy neighbour) then share the load generator's core instead of taking the servers'.
 * Children started with `pinned` get their own CPUs explicitly.
 */
export function pinSelf(cpus: string): void {
  if (canPin) execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
}

/** Prefixes `command` with `taskset -c <cpus>` when pinning is possible. */
export function pinned(cpus: string | undefined, command: string, args: string[]): [string, string[]] {
  return canPin && cpus !== undefined ? ['taskset', ['-c', cpus, command, ...args]] : [command, args];
}

export interface Started<T> {
  child: ChildProcess;
  pid: number;
  ready: T;
  /** The process, for CPU time (lib/cpu.ts). */
  pids(): number[];
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRss(): number;
  rss(): number;
  stop(): Promise<void>;
}

/** Starts a compiled server script and waits for the JSON line it prints when ready. */
export async function startServer<T extends { ready: true }>(
  script: string,
  args: string[],
  options: { cpus?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<Started<T>> {
  const [command, argv] = pinned(options.cpus, process.execPath, [...(options.nodeArgs ?? []), script, ...args]);
  const child = spawn(command, argv, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<T>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return void process.stderr.write(`[${script}] ${line}\n`);
      const parsed = JSON.parse(line) as T;
      if (parsed.ready) resolve(parsed);
    });
  });
  const pid = child.pid!;
  const status = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  };
  return {
    child,
    pid,
    ready,
    pids: () => [pid],
    peakRss: () => status('VmHWM'),
    rss: () => status('VmRSS'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
