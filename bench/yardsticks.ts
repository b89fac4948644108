import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildServers } from './lib/build.ts';
import { checkForwarding } from './lib/forwarding-check.ts';
import { ensureNginx, startNginx } from './lib/nginx.ts';
import { availableCpus, canPin, pinSelf, startScriptNodeFlags } from './lib/processes.ts';
import { measurementTable, verdictTable } from './lib/report.ts';
import { alternate, type Measured } from './lib/rounds.ts';
import { evaluate, type Verdict } from './lib/scenarios.ts';
import { serverStarters } from './lib/servers.ts';
import { settings } from './lib/settings.ts';
import { log } from './lib/stats.ts';
import type { Target } from './lib/targets.ts';
import { ensureWrk } from './lib/wrk.ts';
import { CANDIDATES, YARDSTICK } from './servers/forwarding/candidates.ts';

/**
 * `node --import tsx bench/yardsticks.ts`: every yardstick candidate (servers/forwarding/) head to
 * head, with nginx as a reference, after each passed the forwarding check. Alternating rounds at 32
 * and 256 connections; each candidate's req/s and CPU per call as a ratio to the old yardstick
 * (agent-pipeline) in the same round, median over rounds. The fastest is THE yardstick
 * (YARDSTICK in candidates.ts); this run is how it was chosen (bench/README.md).
 * Settings as `npm run bench`: BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP_SECONDS, BENCH_QUICK; and
 * BENCH_CANDIDATES=a,b to run only some (the reference is always in), e.g. to settle a close race
 * with more rounds.
 */

const REFERENCE = 'agent-pipeline';
const chosen = process.env.BENCH_CANDIDATES ? new Set([...process.env.BENCH_CANDIDATES.split(','), REFERENCE]) : undefined;
const names = Object.keys(CANDIDATES).filter((name) => !chosen || chosen.has(name));
const cpuList = availableCpus();
const wrkCpus = String(cpuList[0]);
const serverCpus = cpuList.length > 1 ? cpuList.slice(1).join(',') : String(cpuList[0]);

async function main(): Promise<void> {
  ensureWrk();
  ensureNginx();
  log(`CPUs ${cpuList.join(',')} (${osCpus()[0]?.model ?? 'unknown'}), pinned: ${canPin}; candidates: ${names.join(', ')}`);
  pinSelf(wrkCpus);
  const start = serverStarters(buildServers(), serverCpus, startScriptNodeFlags());
  const running: Array<{ stop(): Promise<void> }> = [];
  try {
    const upstream = await start.upstream();
    running.push(upstream);
    const origin = `http://127.0.0.1:${upstream.ready.port}`;
    const targets: Target[] = [];
    for (const name of names) {
      const server = await start.yardstick(origin, name);
      running.push(server);
      const problems = await checkForwarding(`http://127.0.0.1:${server.ready.port}`, { upstream: origin });
      if (problems.length > 0) throw new Error(`${name} is not a correct forwarding proxy:\n  ${problems.join('\n  ')}`);
      targets.push({ name, url: `http://127.0.0.1:${server.ready.port}/v1/customers`, pids: () => server.pids() });
    }
    const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
    const nginx = await startNginx({ dir: `${resultsDir}nginx`, upstreamPort: upstream.ready.port, cpus: serverCpus });
    running.push(nginx);
    targets.push({ name: 'nginx', url: `http://127.0.0.1:${nginx.port}/v1/customers`, pids: () => nginx.pids() });
    log('every candidate passed the forwarding check');

    const measured: Record<string, Record<string, Measured>> = {};
    const verdicts: Verdict[] = [];
    for (const connections of [32, 256]) {
      const name = `candidates, ${connections} connections`;
      measured[name] = await alternate(name, targets, { connections, seconds: settings.seconds, warmupSeconds: settings.warmup, rounds: settings.rounds, wrkCpus });
      for (const target of targets.filter((t) => t.name !== REFERENCE)) {
        verdicts.push(evaluate({ label: `${target.name} / ${REFERENCE} req/s, ${connections} connections`, subject: target.name, baseline: REFERENCE, metric: 'rps', compare: 'ratio' }, measured[name]!));
        verdicts.push(evaluate({ label: `${target.name} / ${REFERENCE} CPU per call, ${connections} connections`, subject: target.name, baseline: REFERENCE, metric: 'cpuPerCall', compare: 'ratio' }, measured[name]!));
      }
      if (targets.some((t) => t.name === YARDSTICK)) {
        verdicts.push(evaluate({ label: `nginx / ${YARDSTICK} req/s, ${connections} connections`, subject: 'nginx', baseline: YARDSTICK, metric: 'rps', compare: 'ratio' }, measured[name]!));
      }
    }
    process.stdout.write(`\n${measurementTable(measured)}\n\n${verdictTable(verdicts)}\n`);
    mkdirSync(resultsDir, { recursive: true });
    const at = new Date().toISOString();
    const file = `${resultsDir}yardsticks-${at.replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, `${JSON.stringify({ at, settings, scenarios: measured, verdicts }, null, 2)}\n`);
    log(`results written to ${file}`);
  } finally {
    await Promise.all(running.map((s) => s.stop()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`yardsticks failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
