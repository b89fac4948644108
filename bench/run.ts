import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildServers } from './lib/build.ts';
import { flood, streamDownload, streamUpload, warmAccounts } from './lib/clients.ts';
import { availableCpus, canPin, pinSelf, startScriptNodeFlags, startServer, type Started } from './lib/processes.ts';
import { ensureWrk, runWrk, type WrkResult } from './lib/wrk.ts';

/**
 * `npm run bench`: the Tool Proxy against the physical limit, in one run (bench/README.md).
 *
 * Servers, each in its own process and compiled like `npm start` runs them: a loopback upstream,
 * a minimal undici forwarding proxy (the yardstick) and toolproxy. wrk (C, one thread) is pinned
 * to the first CPU and the servers to the others, so the load generator never competes with what
 * it measures. Targets are measured in alternating rounds so that load from other processes on
 * the machine falls on all of them alike; ratios come from the same run.
 *
 * Settings (env): BENCH_SECONDS (5, per target per round), BENCH_ROUNDS (3), BENCH_WARMUP_SECONDS
 * (2), BENCH_CONNECTIONS (50), BENCH_RATE (1000), BENCH_MANY_ACCOUNTS (100000), BENCH_STREAM_BYTES
 * (1 GiB).
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const MANY = Number(process.env.BENCH_MANY_ACCOUNTS ?? 100_000);
const STREAM_BYTES = Number(process.env.BENCH_STREAM_BYTES ?? 1024 ** 3);
const FEW = 10;
/** Fixed-rate runs: this many connections, each pausing (exponentially, see wrk/proxy.lua) so that together they send about RATE req/s. */
const RATE_CONNECTIONS = 20;
/** The noisy neighbour (P19): calls one account keeps in flight, on an upstream path this slow. */
const NEIGHBOUR_CALLS = 1000;
const NEIGHBOUR_SLOW_MS = 2000;

const cpuList = availableCpus();
/** toolproxy runs with the Node flags of `npm start`; the other servers with Node's defaults. */
const NODE_FLAGS = startScriptNodeFlags();
const wrkCpus = String(cpuList[0]);
const serverCpus = cpuList.length > 1 ? cpuList.slice(1).join(',') : String(cpuList[0]);

type Ready = { ready: true; port: number };
type ToolproxyReady = Ready & { token: string; accounts: number };
interface Target {
  name: string;
  url: string;
  env?: Record<string, string>;
}
/** One target over all rounds: total req/s, and the median of the per-round percentiles. */
interface Measured {
  rps: number;
  p50_us: number;
  p99_us: number;
  errors: number;
  rounds: WrkResult[];
}

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

function summarise(rounds: WrkResult[]): Measured {
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.duration_us, 0) / 1e6;
  const errors = rounds.reduce((sum, r) => sum + r.errors.status + r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout, 0);
  return { rps: requests / seconds, p50_us: median(rounds.map((r) => r.latency_us.p50)), p99_us: median(rounds.map((r) => r.latency_us.p99)), errors, rounds };
}

/**
 * Warms every target, then runs ROUNDS rounds; each round measures every target for SECONDS.
 * `delayMs` > 0 makes it a fixed-rate run (wrk has no rate control; a pause per connection does).
 */
async function alternate(label: string, targets: Target[], connections: number, options: { delayMs?: number; seconds?: number } = {}): Promise<Record<string, Measured>> {
  const delayMs = options.delayMs ?? 0;
  const seconds = options.seconds ?? SECONDS;
  const env = (t: Target) => ({ ...t.env, ...(delayMs > 0 ? { TP_DELAY_MS: String(delayMs) } : {}) });
  for (const target of targets) await runWrk({ url: target.url, seconds: WARMUP, connections, cpus: wrkCpus, env: env(target) });
  const rounds = new Map<string, WrkResult[]>(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of targets) {
      const result = await runWrk({ url: target.url, seconds, connections, cpus: wrkCpus, env: env(target) });
      rounds.get(target.name)!.push(result);
      log(`${label} round ${round}/${ROUNDS} ${target.name}: ${result.rps.toFixed(0)} req/s, p50 ${ms(result.latency_us.p50)}, p99 ${ms(result.latency_us.p99)}`);
    }
  }
  return Object.fromEntries([...rounds].map(([name, results]) => [name, summarise(results)]));
}

let script: (name: string) => string;

function startToolproxy(upstream: string, accounts: number, env: Record<string, string> = {}): Promise<Started<ToolproxyReady>> {
  return startServer<ToolproxyReady>(script('toolproxy'), [upstream], { cpus: serverCpus, nodeArgs: NODE_FLAGS, env: { BENCH_ACCOUNTS: String(accounts), ...env } });
}

async function main(): Promise<void> {
  ensureWrk();
  if (!canPin) log('taskset unavailable or fewer than 2 CPUs: processes are not pinned; numbers are less reliable');
  log(`CPUs ${cpuList.join(',')} (${osCpus()[0]?.model ?? 'unknown'}): wrk and this orchestrator on ${wrkCpus}, servers on ${serverCpus}`);
  pinSelf(wrkCpus);
  log(`compiling src/ and bench/servers/ (the servers run as plain JavaScript, as npm start runs them; toolproxy with ${NODE_FLAGS.join(' ') || 'no Node flags'})`);
  script = buildServers();

  const started: Array<Started<Ready>> = [];
  const stopAll = () => Promise.all(started.map((s) => s.stop()));
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));

  try {
    const upstream = await startServer<Ready>(script('upstream'), [], { cpus: serverCpus });
    started.push(upstream);
    const origin = `http://127.0.0.1:${upstream.ready.port}`;
    const minimal = await startServer<Ready>(script('yardstick'), ['agent-pipeline', `${origin}/api`], { cpus: serverCpus });
    started.push(minimal);
    const few = await startToolproxy(origin, FEW);
    started.push(few);
    const proxied = (server: Started<ToolproxyReady>, accounts: number): Target => ({
      name: `toolproxy (${accounts.toLocaleString('en')} accounts)`,
      url: `http://127.0.0.1:${server.ready.port}/proxy/v1/customers`,
      env: { TP_TOKEN: server.ready.token, TP_ACCOUNTS: String(accounts) },
    });
    const direct: Target = { name: 'direct', url: `${origin}/api/v1/customers` };
    const viaMinimal: Target = { name: 'minimal proxy', url: `http://127.0.0.1:${minimal.ready.port}/v1/customers` };
    const viaFew = proxied(few, FEW);

    // 1. Throughput and latency, closed loop, CONNECTIONS connections.
    log(`throughput: ${ROUNDS} rounds of ${SECONDS}s per target, ${CONNECTIONS} connections`);
    const throughput = await alternate('throughput', [direct, viaMinimal, viaFew], CONNECTIONS);

    // 2. Latency at a fixed, moderate rate.
    const delay = Math.max(1, Math.round((RATE_CONNECTIONS * 1000) / RATE));
    log(`latency at ~${RATE} req/s: ${RATE_CONNECTIONS} connections, each a Poisson source with a mean ${delay} ms apart`);
    const fixedRate = await alternate('fixed rate', [direct, viaMinimal, viaFew], RATE_CONNECTIONS, { delayMs: delay });
    const loadPeakRss = few.peakRss();

    // 2b. Noisy neighbour (security checklist P19): one account keeps NEIGHBOUR_CALLS calls on a
    //     slow upstream path (re-calling after Retry-After when refused), while the other accounts
    //     are measured at the same fixed rate as above.
    log(`noisy neighbour: user_0 keeps ${NEIGHBOUR_CALLS} calls on a ${NEIGHBOUR_SLOW_MS} ms upstream; user_1…user_${FEW - 1} at ~${RATE} req/s`);
    const neighbour = flood(`http://127.0.0.1:${few.ready.port}/proxy/slow/${NEIGHBOUR_SLOW_MS}`, few.ready.token, 'user_0', NEIGHBOUR_CALLS);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const othersEnv = { ...viaFew.env, TP_ACCOUNTS: String(FEW - 1), TP_FIRST: '1', TP_DELAY_MS: String(delay) };
    const neighbourRounds: WrkResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const result = await runWrk({ url: viaFew.url, seconds: SECONDS, connections: RATE_CONNECTIONS, cpus: wrkCpus, env: othersEnv });
      neighbourRounds.push(result);
      log(`noisy neighbour round ${round}/${ROUNDS}: other accounts ${result.rps.toFixed(0)} req/s, p99 ${ms(result.latency_us.p99)}`);
    }
    const neighbourCounts = await neighbour.stop();
    const noisyNeighbour = { others: summarise(neighbourRounds), neighbour: neighbourCounts, calls: NEIGHBOUR_CALLS, slowMs: NEIGHBOUR_SLOW_MS };
    log(`noisy neighbour: user_0 got ${neighbourCounts.ok} answers, ${neighbourCounts.refused} refusals (429), ${neighbourCounts.failed} failures`);

    // 3. Many accounts: the same load spread over MANY accounts, every one of them warm, with the
    //    SQLite default cache TTL (5 minutes). Then the Postgres default (60 s), where accounts
    //    called less often than once a minute are re-read and decrypted.
    log(`${MANY.toLocaleString('en')} accounts: seeding through the store and the vault`);
    const seedStarted = performance.now();
    const many = await startToolproxy(origin, MANY);
    started.push(many);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(`${MANY.toLocaleString('en')} accounts: started in ${seedSeconds.toFixed(1)}s; warming every account`);
    const warmSeconds = await warmAccounts(`http://127.0.0.1:${many.ready.port}`, many.ready.token, MANY);
    log(`warmed in ${warmSeconds.toFixed(1)}s`);
    const viaMany = proxied(many, MANY);
    // Every round outlasts the 10 s period of the last_used_at flush (src/proxy/usage-recorder.ts),
    // so each one pays for the flush of the accounts it used; shorter rounds alternating in step
    // with that period can leave every flush to the other target's rounds.
    const accounts = await alternate('accounts', [viaFew, viaMany], CONNECTIONS, { seconds: Math.max(SECONDS, 12) });
    const manyRss = many.rss();
    await many.stop();

    log(`${MANY.toLocaleString('en')} accounts with a 60 s cache TTL, the default on Postgres (one round)`);
    const manyDefault = await startToolproxy(origin, MANY, { TOOLPROXY_ACCOUNT_CACHE_TTL_MS: '60000' });
    started.push(manyDefault);
    await warmAccounts(`http://127.0.0.1:${manyDefault.ready.port}`, manyDefault.ready.token, MANY);
    const defaultTtl = summarise([await runWrk({ ...proxied(manyDefault, MANY), seconds: SECONDS, connections: CONNECTIONS, cpus: wrkCpus })]);
    log(`60 s TTL: ${defaultTtl.rps.toFixed(0)} req/s`);
    await manyDefault.stop();

    // 4. Peak RSS of a fresh toolproxy while it streams STREAM_BYTES down, then up.
    await few.stop();
    const fresh = await startToolproxy(origin, FEW);
    started.push(fresh);
    const idleRss = fresh.rss();
    log(`streaming ${mb(STREAM_BYTES)} down and up through a fresh toolproxy (idle RSS ${mb(idleRss)})`);
    const download = await streamDownload(`http://127.0.0.1:${fresh.ready.port}/proxy/bytes/${STREAM_BYTES}`, fresh.ready.token, STREAM_BYTES);
    const downloadPeak = fresh.peakRss();
    const upload = await streamUpload(`http://127.0.0.1:${fresh.ready.port}/proxy/upload`, fresh.ready.token, STREAM_BYTES);
    const uploadPeak = fresh.peakRss();
    // The same download through a fresh minimal proxy: what any Node proxy's peak looks like.
    await minimal.stop();
    const freshMinimal = await startServer<Ready>(script('yardstick'), ['agent-pipeline', `${origin}/api`], { cpus: serverCpus });
    started.push(freshMinimal);
    const minimalIdleRss = freshMinimal.rss();
    await streamDownload(`http://127.0.0.1:${freshMinimal.ready.port}/bytes/${STREAM_BYTES}`, '', STREAM_BYTES);
    const minimalPeak = freshMinimal.peakRss();

    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpuList.length, model: osCpus()[0]?.model, pinned: canPin, node: process.version, toolproxyNodeFlags: NODE_FLAGS },
      settings: { seconds: SECONDS, rounds: ROUNDS, warmup: WARMUP, connections: CONNECTIONS, rate: RATE, rateConnections: RATE_CONNECTIONS, many: MANY, streamBytes: STREAM_BYTES },
      throughput,
      fixedRate,
      noisyNeighbour,
      accounts: { few: accounts[viaFew.name]!, many: accounts[viaMany.name]!, manyDefaultTtl: defaultTtl, seedSeconds, warmSeconds, manyRssBytes: manyRss },
      memory: {
        idleRss,
        loadPeakRss,
        download: { ...download, peakRss: downloadPeak },
        upload: { ...upload, peakRss: uploadPeak },
        minimalProxy: { idleRss: minimalIdleRss, downloadPeakRss: minimalPeak },
      },
    };
    report(results, [direct.name, viaMinimal.name, viaFew.name], viaMany.name);
    const dir = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = `${dir}${results.at.replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${file}`);
  } finally {
    await stopAll();
  }
}

function report(
  r: {
    throughput: Record<string, Measured>;
    fixedRate: Record<string, Measured>;
    noisyNeighbour: { others: Measured; neighbour: { ok: number; refused: number; failed: number }; calls: number; slowMs: number };
    accounts: { few: Measured; many: Measured; manyDefaultTtl: Measured };
    memory: {
      idleRss: number;
      loadPeakRss: number;
      download: { peakRss: number; seconds: number };
      upload: { peakRss: number; seconds: number };
      minimalProxy: { idleRss: number; downloadPeakRss: number };
    };
  },
  [direct, minimal, toolproxy]: string[],
  manyName: string,
): void {
  const row = (name: string, m: Measured) =>
    `${name.padEnd(44)} ${m.rps.toFixed(0).padStart(8)} ${ms(m.p50_us).padStart(10)} ${ms(m.p99_us).padStart(10)} ${String(m.errors).padStart(7)}`;
  const t = r.throughput;
  const f = r.fixedRate;
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  // Each round measures the targets back to back, so a round's ratio compares runs that saw the
  // same background load; the median of those is the verdict (one disturbed round, common on a
  // shared VM, moves a ratio of totals but not the median). The ratio of totals is shown too.
  const proxyRatio = pairedRatio(t[toolproxy!]!, t[minimal!]!);
  const addedP99 = f[toolproxy!]!.p99_us - f[direct!]!.p99_us;
  const accountsRatio = pairedRatio(r.accounts.many, r.accounts.few);
  const lines = [
    '',
    `${'scenario'.padEnd(44)} ${'req/s'.padStart(8)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'errors'.padStart(7)}`,
    ...[direct!, minimal!, toolproxy!].map((name) => row(name, t[name]!)),
    ...[direct!, minimal!, toolproxy!].map((name) => row(`${name} @ ~${RATE}/s`, f[name]!)),
    row(`  other accounts, one with ${r.noisyNeighbour.calls} calls hanging`, r.noisyNeighbour.others),
    row(`${toolproxy} (paired with the next)`, r.accounts.few),
    row(manyName, r.accounts.many),
    row(`${manyName}, 60 s cache TTL (Postgres default)`, r.accounts.manyDefaultTtl),
    '',
    `toolproxy / minimal proxy req/s          ${proxyRatio.median.toFixed(3)}   target ≥ 0.9   ${verdict(proxyRatio.median >= 0.9)}   ${proxyRatio.text}`,
    `minimal proxy / direct req/s             ${(t[minimal!]!.rps / t[direct!]!.rps).toFixed(3)}`,
    `toolproxy / direct req/s                 ${(t[toolproxy!]!.rps / t[direct!]!.rps).toFixed(3)}`,
    `added p99 over direct @ ~${RATE}/s         ${ms(addedP99)}   target ≤ 1 ms   ${verdict(addedP99 <= 1000)}`,
    `${MANY.toLocaleString('en')} / ${FEW} accounts req/s          ${accountsRatio.median.toFixed(3)}   target ≥ 0.95  ${verdict(accountsRatio.median >= 0.95)}   ${accountsRatio.text}`,
    `peak RSS streaming ${mb(STREAM_BYTES)} down       ${mb(r.memory.download.peakRss)} (${r.memory.download.seconds.toFixed(1)} s)   target < 150 MB   ${verdict(r.memory.download.peakRss < 150 * 1024 * 1024)}`,
    `peak RSS after streaming it up too       ${mb(r.memory.upload.peakRss)} (${r.memory.upload.seconds.toFixed(1)} s)`,
    `idle RSS ${mb(r.memory.idleRss)}; peak RSS under load ${mb(r.memory.loadPeakRss)}`,
    `minimal proxy: idle RSS ${mb(r.memory.minimalProxy.idleRss)}, peak streaming the same download ${mb(r.memory.minimalProxy.downloadPeakRss)}`,
    `noisy neighbour (P19): other accounts' p99 ${ms(r.noisyNeighbour.others.p99_us)} vs ${ms(f[toolproxy!]!.p99_us)} without it; ` +
      `the neighbour got ${r.noisyNeighbour.neighbour.ok} answers and ${r.noisyNeighbour.neighbour.refused} refusals (429)`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

/** Median of the per-round ratios a/b (rounds ran back to back), with the rounds and the ratio of totals. */
function pairedRatio(a: Measured, b: Measured): { median: number; text: string } {
  const perRound = a.rounds.map((round, i) => round.rps / b.rounds[i]!.rps);
  const value = median(perRound);
  return { median: value, text: `(median of rounds ${perRound.map((x) => x.toFixed(3)).join(', ')}; ratio of totals ${(a.rps / b.rps).toFixed(3)})` };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
