import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { submitHostedForm } from './scenario-fixtures.ts';

/**
 * The README as a newcomer follows it: a fresh clone of the committed HEAD, the README's set-up
 * (`npm ci && npm start`), then the curl walkthrough and the CLI block as shell scripts (the CLI
 * block twice in a row), and the Node and Python examples saved as files and run with plain
 * `node` and `python3`. Where a block waits for the user to authorize, the test submits the
 * hosted form and presses Enter. The one change to the README's text: the example upstream
 * (`https://api.acme.example`) is a loopback server here.
 *
 * `npm ci` is what a user runs; here its work is reproduced without a second download and native
 * build (minutes on this machine): the dependencies are hard links of this checkout's
 * node_modules, which `npm ci` installed from the same package-lock.json (so the same bytes, the
 * dependencies' own install scripts already run), and then the lifecycle scripts `npm ci` runs
 * for the workspaces and the root (`prepare`) run in the clone, through npm. Everything the
 * examples import from this repository (the SDK's dist/, the server's build) is made there from
 * the clone's sources, never taken from this checkout.
 */

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const REPO = new URL('../../', import.meta.url).pathname;
const USER_API_KEY = 'sk_readme_user_123';

function block(name: string): string {
  const match = new RegExp(`<!-- readme-test: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\``).exec(README);
  assert.ok(match, `README has a block marked readme-test: ${name}`);
  return match[1]!;
}

let upstream: Upstream;
let work: string;
let clone: string;
let port: number;
let server: ChildProcess | undefined;
let env: Record<string, string>;

before(async () => {
  upstream = await startUpstream();
  work = await mkdtemp(join(tmpdir(), 'tp-readme-'));
  clone = join(work, 'toolproxy');
  port = await freePort();
  // A user's clone: the committed tree, nothing built, no data dir.
  execFileSync('git', ['clone', '--quiet', REPO, clone]);
  assert.ok(!existsSync(join(clone, 'packages/sdk/dist')) && !existsSync(join(clone, 'dist')) && !existsSync(join(clone, 'data')));
  execFileSync('cp', ['-al', join(REPO, 'node_modules'), join(clone, 'node_modules')]);
  // `npm ci`'s own scripts for the workspaces (links: `prepare`) and for the root, run by npm.
  // Named, so npm leaves the dependencies alone: they are hard links shared with this checkout.
  const root = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { workspaces: string[] };
  assert.deepEqual(root.workspaces, ['packages/*']);
  const workspaces = readdirSync(join(clone, 'packages')).map((dir) => (JSON.parse(readFileSync(join(clone, 'packages', dir, 'package.json'), 'utf8')) as { name: string }).name);
  execFileSync('npm', ['rebuild', '--foreground-scripts', ...workspaces], { cwd: clone, stdio: 'ignore' });
  for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) execFileSync('npm', ['run', '--if-present', script], { cwd: clone, stdio: 'ignore' });
  assert.ok(existsSync(join(clone, 'packages/sdk/dist/index.js')), 'the install built the Node SDK the examples import');

  env = { ...(process.env as Record<string, string>), PORT: String(port), LOG_LEVEL: 'warn', TOOLPROXY_EGRESS_ALLOW_CIDRS: '127.0.0.0/8,::1/128' };
  for (const name of ['TOOLPROXY_URL', 'TOOLPROXY_CLIENT_ID', 'TOOLPROXY_CLIENT_SECRET', 'TOOLPROXY_DATA_DIR', 'DATABASE_URL', 'NODE_OPTIONS']) delete env[name];
  server = spawn('npm', ['start'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`npm start printed no banner in time:\n${out}`)), 180_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('client_secret = ')) {
        clearTimeout(timer);
        resolve();
      }
    };
    server!.stdout!.on('data', read);
    server!.stderr!.on('data', read);
    server!.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${out}`)));
  });
});

after(async () => {
  try {
    if (server?.pid) process.kill(-server.pid, 'SIGTERM');
  } finally {
    await upstream?.close();
    if (work) await rm(work, { recursive: true, force: true });
  }
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in the clone. Each authorization link it prints is opened and its form
 * submitted, as the user would; `enterAfterLink` then presses Enter (the examples wait for it).
 */
function run(command: string, args: string[], options: { env?: Record<string, string>; enterAfterLink?: boolean } = {}): Promise<Run> {
  const child = spawn(command, args, { cwd: clone, env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const seen = new Set<string>();
  const failures: unknown[] = [];
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const [link] of stdout.matchAll(/http:\/\/\S+\/connect\/[A-Za-z0-9_-]+/g)) {
      if (seen.has(link)) continue;
      seen.add(link);
      submitHostedForm(link, `http://127.0.0.1:${port}`, { api_key: USER_API_KEY }).then(
        () => options.enterAfterLink && child.stdin.write('\n'),
        (error: unknown) => failures.push(error),
      );
    }
  });
  if (!options.enterAfterLink) child.stdin.end();
  return new Promise((resolve) =>
    child.once('close', (code) => {
      assert.deepEqual(failures, [], 'the hosted form of every printed link was submitted');
      resolve({ code, stdout, stderr });
    }),
  );
}

/** The README's text with the example upstream moved to the loopback one. */
const onLoopback = (text: string) => text.replaceAll('https://api.acme.example', upstream.url);

test('the curl walkthrough runs as a script: token, connector (no warnings), connection, link, proxied call', async () => {
  const script = join(work, 'curl.sh');
  await writeFile(script, `${onLoopback(block('curl'))}\n`);
  const result = await run('bash', [script], { enterAfterLink: true });
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /"identifier": "acme-billing",\n\s+"warnings": \[\]/);
  assert.match(result.stdout, /\n"acme"\n/);
  assert.match(result.stdout, /"id":"cus_1"/);
  assert.equal(upstream.received.at(-1)!.headers['x-api-key'], USER_API_KEY);
  assert.equal(upstream.received.at(-1)!.url, '/v1/customers?limit=3');

  // The CLI walkthrough starts from scratch, as a reader trying it next would.
  const { TOOLPROXY_URL: url, TOOLPROXY_CLIENT_ID: id, TOOLPROXY_CLIENT_SECRET: secret } = clientEnv();
  const issued = await fetch(`${url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id!, client_secret: secret! }) });
  const authorization = `Bearer ${((await issued.json()) as { access_token: string }).access_token}`;
  for (const path of ['/api/v1/connections/acme/connected_accounts/user_123', '/api/v1/connections/acme', '/api/v1/custom-providers/acme-billing']) {
    assert.equal((await fetch(`${url}${path}`, { method: 'DELETE', headers: { authorization } })).status, 204, path);
  }
});

test('the CLI block runs as a script, and again', async () => {
  const script = join(work, 'cli.sh');
  await writeFile(script, `set -e\n${onLoopback(block('cli'))}\n`);
  for (const round of [1, 2]) {
    const calls = upstream.received.length;
    const result = await run('bash', [script]);
    assert.equal(result.code, 0, `round ${round}:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, round === 1 ? /created\s+acme-billing/ : /replaced\s+acme-billing/);
    assert.match(result.stdout, round === 1 ? /Created connection acme/ : /Connection acme already exists/);
    assert.match(result.stdout, /"id": "cus_1"/);
    assert.match(result.stdout, /acme\s+user_123\s+ACTIVE/);
    assert.equal(upstream.received.length - calls, 2, 'the GET and the POST reached the upstream');
    assert.equal(upstream.received.at(-1)!.headers['x-api-key'], USER_API_KEY);
  }
});

/** The example's environment: the bootstrap client the first start kept in the clone's data dir. */
function clientEnv(): Record<string, string> {
  const saved = JSON.parse(readFileSync(join(clone, 'data/bootstrap-client.json'), 'utf8')) as { client_id: string; client_secret: string };
  return { TOOLPROXY_URL: `http://localhost:${port}`, TOOLPROXY_CLIENT_ID: saved.client_id, TOOLPROXY_CLIENT_SECRET: saved.client_secret };
}

test('the Node SDK example runs with plain node', async () => {
  await writeFile(join(clone, 'example.mjs'), `${block('node')}\n`);
  const result = await run('node', ['example.mjs'], { env: clientEnv(), enterAfterLink: true });
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /200 \{ data: \[ \{ id: 'cus_1', name: 'Ada' \} \], has_more: false \}\n/);
  assert.match(result.stdout, /\n404\n/);
  assert.match(result.stdout, /\nACCOUNT_NOT_FOUND\n/);
});

test('the Python SDK example runs with plain python3 after pip install ./python', async () => {
  // `pip install ./python`, into a directory of its own rather than this machine's Python.
  const site = join(work, 'site-packages');
  const pip = await run(process.env.PYTHON ?? 'python3', ['-m', 'pip', 'install', '--quiet', '--no-index', '--disable-pip-version-check', '--target', site, './python']);
  assert.equal(pip.code, 0, pip.stderr);
  await writeFile(join(clone, 'example.py'), `${block('python')}\n`);
  const result = await run(process.env.PYTHON ?? 'python3', ['example.py'], {
    env: { ...clientEnv(), PYTHONPATH: site, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    enterAfterLink: true,
  });
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /200 \{'data': \[\{'id': 'cus_1', 'name': 'Ada'\}\], 'has_more': False\}\n/);
  assert.match(result.stdout, /\nACCOUNT_NOT_FOUND\n/);
});
