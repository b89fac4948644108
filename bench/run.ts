import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildServers } from './lib/build.ts';
import { warmAccounts } from './lib/clients.ts';
import { doorTargets } from './lib/doors.ts';
import { checkForwarding } from './lib/forwarding-check.ts';
import { applyGuardrails, GUARDED } from './lib/guardrails.ts';
import { measureMemory, memoryVerdicts } from './lib/memory.ts';
import { ensureNginx, startNginx } from './lib/nginx.ts';
import { noisyNeighbour, noisyNeighbourVerdict } from './lib/noisy-neighbour.ts';
import { createTemporaryDatabase } from './lib/postgres.ts';
import { availableCpus, canPin, pinSelf, startScriptNodeFlags } from './lib/processes.ts';
import { measurementTable, verdictTable } from './lib/report.ts';
import { alternate, measure, type Measured } from './lib/rounds.ts';
import { evaluate, type LoadScenario, type Verdict } from './lib/scenarios.ts';
import { serverStarters, type ToolproxyReady } from './lib/servers.ts';
import { FEW_ACCOUNTS, settings } from './lib/settings.ts';
import { countStatements, readStatements, type StatementCount, statementVerdicts } from './lib/statements.ts';
import { log } from './lib/stats.ts';
import type { Target } from './lib/targets.ts';
import { ensureWrk } from './lib/wrk.ts';
import type { Started } from './lib/processes.ts';
import { loadScenarios } from './scenarios.ts';
import { YARDSTICK } from './servers/forwarding/candidates.ts';

/**
 * `npm run bench`: every target of issue 15 in one run (bench/README.md). Servers run compiled, each
 * in its own process on the servers' CPUs; wrk (one thread) and this orchestrator on the first
 * CPU. Targets take turns in rounds; a verdict is the median of the rounds' comparisons.
 */

const cpuList = availableCpus();
const wrkCpus = String(cpuList[0]);
const serverCpus = cpuList.length > 1 ? cpuList.slice(1).join(',') : String(cpuList[0]);
const NODE_FLAGS = startScriptNodeFlags();
const MANY = `toolproxy (${settings.manyAccounts.toLocaleString('en')} accounts)`;
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

const toolproxyTarget = (name: string, server: Started<ToolproxyReady>, accounts: number): Target => ({
  name,
  url: `http://127.0.0.1:${server.ready.port}/proxy/v1/customers`,
  env: { TP_TOKEN: server.ready.token, TP_ACCOUNTS: String(accounts) },
  pids: () => server.pids(),
});

async function main(): Promise<void> {
  const startedAt = performance.now();
  ensureWrk();
  ensureNginx();
  if (!canPin) log('taskset unavailable or fewer than 2 CPUs: processes are not pinned; numbers are less reliable');
  log(`CPUs ${cpuList.join(',')} (${osCpus()[0]?.model ?? 'unknown'}): wrk and this orchestrator on ${wrkCpus}, servers on ${serverCpus}${settings.quick ? '; QUICK mode' : ''}`);
  pinSelf(wrkCpus);
  log(`compiling src/ and bench/servers/ (Node servers run as plain JavaScript with ${NODE_FLAGS.join(' ') || 'no flags'}, as npm start runs toolproxy)`);
  const start = serverStarters(buildServers(), serverCpus, NODE_FLAGS);

  const running = new Set<{ stop(): Promise<void> }>();
  const track = <T extends { stop(): Promise<void> }>(server: T): T => (running.add(server), server);
  const stop = async (server: { stop(): Promise<void> }) => {
    running.delete(server);
    await server.stop();
  };
  process.once('SIGINT', () => void Promise.all([...running].map((s) => s.stop())).then(() => process.exit(130)));

  try {
    const upstream = track(await start.upstream());
    const origin = `http://127.0.0.1:${upstream.ready.port}`;
    const yardstick = track(await start.yardstick(origin));
    const toolproxy = track(await start.toolproxy(origin, FEW_ACCOUNTS));
    const nginx = track(await startNginx({ dir: `${resultsDir}nginx`, upstreamPort: upstream.ready.port, cpus: serverCpus }));
    const same = { TP_TOKEN: toolproxy.ready.token, TP_ACCOUNTS: String(FEW_ACCOUNTS) }; // every target gets the same request bytes
    const targets = new Map<string, Target>([
      ['direct', { name: 'direct', url: `${origin}/api/v1/customers`, env: same, pids: () => upstream.pids() }],
      ['yardstick', { name: 'yardstick', url: `http://127.0.0.1:${yardstick.ready.port}/v1/customers`, env: same, pids: () => yardstick.pids() }],
      ['toolproxy', toolproxyTarget('toolproxy', toolproxy, FEW_ACCOUNTS)],
      ['nginx', { name: 'nginx', url: `http://127.0.0.1:${nginx.port}/v1/customers`, env: same, pids: () => nginx.pids() }],
      ...doorTargets(toolproxy),
    ]);

    // Pre-flight: the references must be correct forwarding proxies (lib/forwarding-check.ts).
    const problems = await checkForwarding(`http://127.0.0.1:${yardstick.ready.port}`, { upstream: origin });
    if (problems.length > 0) throw new Error(`the yardstick (${YARDSTICK}) is not a correct forwarding proxy:\n  ${problems.join('\n  ')}`);
    const nginxProblems = await checkForwarding(`http://127.0.0.1:${nginx.port}`, { upstream: origin });
    log(`pre-flight: the yardstick (${YARDSTICK}) forwards correctly; nginx: ${nginxProblems.length === 0 ? 'correct' : nginxProblems.join('; ')}`);
    await warmAccounts(`http://127.0.0.1:${toolproxy.ready.port}`, toolproxy.ready.token, FEW_ACCOUNTS);

    const measured: Record<string, Record<string, Measured>> = {};
    const scenarioVerdicts: Verdict[] = [];
    const pending = loadScenarios(settings, MANY);
    /** Runs every scenario whose targets are all up now. */
    const runReady = async () => {
      for (const scenario of pending.filter((s) => s.targets.every((t) => targets.has(t)))) {
        pending.splice(pending.indexOf(scenario), 1);
        measured[scenario.name] = await runScenario(scenario, targets);
        scenarioVerdicts.push(...scenario.checks.map((check) => evaluate(check, measured[scenario.name]!)));
      }
    };
    await runReady();

    log(`SQL statements per call, SQLite: ${settings.seconds}s at 32 connections`);
    const sqlite = await statementWindow(toolproxy, targets.get('toolproxy')!);

    const rate = loadScenarios(settings, MANY).find((s) => s.delayMs !== undefined)!;
    const neighbour = await noisyNeighbour(targets.get('toolproxy')!, { port: toolproxy.ready.port, token: toolproxy.ready.token }, {
      accounts: FEW_ACCOUNTS, connections: rate.connections, delayMs: rate.delayMs!, seconds: settings.seconds, rounds: settings.rounds, wrkCpus,
    });
    await stop(nginx);

    log(`${GUARDED}: a second server with a policy on its connection`);
    const guarded = track(await start.toolproxy(origin, FEW_ACCOUNTS));
    await applyGuardrails(`http://127.0.0.1:${guarded.ready.port}`, guarded.ready.token);
    await warmAccounts(`http://127.0.0.1:${guarded.ready.port}`, guarded.ready.token, FEW_ACCOUNTS);
    targets.set(GUARDED, toolproxyTarget(GUARDED, guarded, FEW_ACCOUNTS));
    await runReady();
    await stop(guarded);

    log(`${MANY}: seeding through the store and the vault`);
    const many = track(await start.toolproxy(origin, settings.manyAccounts));
    log(`${MANY}: warming every account`);
    const warmSeconds = await warmAccounts(`http://127.0.0.1:${many.ready.port}`, many.ready.token, settings.manyAccounts);
    log(`warmed in ${warmSeconds.toFixed(1)}s`);
    targets.set(MANY, toolproxyTarget(MANY, many, settings.manyAccounts));
    await runReady();
    const manyRss = many.rss();
    await stop(many);
    await stop(yardstick);
    await stop(toolproxy);

    log(`memory: fresh servers stream ${settings.streamBytes} bytes down, then up`);
    const memory = await measureMemory({ toolproxy: () => start.toolproxy(origin, FEW_ACCOUNTS), yardstick: () => start.yardstick(origin) }, settings.streamBytes);

    const postgres = await postgresStatements(start, origin);

    const verdicts = [
      ...scenarioVerdicts,
      ...memoryVerdicts(memory, settings.streamBytes),
      ...statementVerdicts('SQLite', sqlite),
      ...(postgres.count ? statementVerdicts('Postgres', postgres.count) : [{ target: 'SQL statements per warm call, Postgres', value: 'not measured', goal: '= 0', met: false, detail: postgres.error }]),
      noisyNeighbourVerdict(neighbour, measured[rate.name]!['toolproxy']!),
    ];
    const minutes = (performance.now() - startedAt) / 60_000;
    process.stdout.write(`\n${measurementTable(measured)}\n\n${verdictTable(verdicts)}\n\nrun time ${minutes.toFixed(1)} min\n`);

    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpuList.length, model: osCpus()[0]?.model, pinned: canPin, node: process.version, nodeFlags: NODE_FLAGS },
      settings: { ...settings, postgresUrl: redact(settings.postgresUrl) },
      yardstick: YARDSTICK,
      preflight: { nginx: nginxProblems },
      scenarios: measured,
      statements: { sqlite, postgres },
      noisyNeighbour: neighbour,
      accounts: { warmSeconds, manyRssBytes: manyRss },
      memory,
      verdicts,
      minutes,
    };
    mkdirSync(resultsDir, { recursive: true });
    const file = `${resultsDir}${results.at.replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${file}`);
  } finally {
    await Promise.all([...running].map((s) => s.stop()));
  }
}

async function runScenario(scenario: LoadScenario, targets: Map<string, Target>): Promise<Record<string, Measured>> {
  const seconds = Math.max(settings.seconds, scenario.minSeconds ?? 0);
  log(`${scenario.name}: ${settings.rounds} rounds of ${seconds}s per target (${scenario.targets.join(', ')}), ${scenario.connections} connections${scenario.delayMs ? `, a mean ${scenario.delayMs} ms apart each` : ''}`);
  return alternate(scenario.name, scenario.targets.map((name) => targets.get(name)!), {
    connections: scenario.connections,
    seconds,
    warmupSeconds: settings.warmup,
    rounds: settings.rounds,
    ...(scenario.delayMs ? { delayMs: scenario.delayMs } : {}),
    wrkCpus,
  });
}

/** Statements toolproxy sent while wrk made calls on warm accounts (the counter on /metrics, read before and after). */
async function statementWindow(server: Started<ToolproxyReady>, target: Target): Promise<StatementCount> {
  const base = `http://127.0.0.1:${server.ready.port}`;
  if (settings.warmup > 0) await measure(target, { connections: 32, seconds: settings.warmup, wrkCpus });
  const before = await readStatements(base, server.ready.token);
  const run = await measure(target, { connections: 32, seconds: settings.seconds, wrkCpus });
  const count = countStatements(before, await readStatements(base, server.ready.token), run.requests);
  log(`statements: ${JSON.stringify(count.onPath)} on the call's path, ${JSON.stringify(count.background)} in the background, ${run.requests} calls (${run.rps.toFixed(0)} req/s)`);
  return count;
}

/** The statement count on Postgres: a temporary database, toolproxy on it with 10 warm accounts. */
async function postgresStatements(start: ReturnType<typeof serverStarters>, origin: string): Promise<{ count?: StatementCount; error?: string }> {
  let database;
  try {
    database = await createTemporaryDatabase(settings.postgresUrl);
  } catch (error) {
    log(`Postgres unreachable at ${redact(settings.postgresUrl)}: ${(error as Error).message}`);
    return { error: `Postgres unreachable: ${(error as Error).message}` };
  }
  try {
    log('SQL statements per call, Postgres: a temporary database, 10 accounts');
    const server = await start.toolproxy(origin, FEW_ACCOUNTS, { DATABASE_URL: database.url });
    try {
      await warmAccounts(`http://127.0.0.1:${server.ready.port}`, server.ready.token, FEW_ACCOUNTS);
      return { count: await statementWindow(server, toolproxyTarget('toolproxy on Postgres', server, FEW_ACCOUNTS)) };
    } finally {
      await server.stop();
    }
  } finally {
    await database.drop();
  }
}

/** A database URL without its user and password. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//…@');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
