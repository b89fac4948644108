import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { ensureDashboardBuilt } from '../helpers/browser.ts';
import { freePort } from '../helpers/server.ts';

/**
 * DESIGN.md §8: `npx toolproxy start`. What `npm pack` (and so `npm publish`) ships must run on its
 * own: the compiled server and CLI, the dashboard build, the stylesheet of the hosted pages and the
 * connector catalog, built by `prepack` from a clean checkout. Dependencies come from this checkout's
 * node_modules (no network here), as an install would provide them.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
let files: string[];
let child: ChildProcess | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tp-package-'));
  // What `prepack` does, without rebuilding dashboard/dist under the browser tests that may run
  // alongside: the dashboard only when stale (`npm test` has built it), the server always.
  const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(scripts['prepack'], 'npm run build:dashboard --silent && npm run build --silent');
  await ensureDashboardBuilt();
  await run('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  files = packed!.files.map((file) => file.path);
  await run('tar', ['-xzf', join(dir, packed!.filename), '-C', dir]);
  await symlink(join(ROOT, 'node_modules'), join(dir, 'package', 'node_modules'), 'dir');
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

test('the package holds what the server needs to run, and no tests, sources or local data', () => {
  for (const needed of [
    'package.json', 'README.md', 'dist/src/cli/main.js', 'dist/src/main.js', 'dashboard/dist/index.html',
    'dashboard/src/styles/theme.css', 'catalog/stripe.yaml', 'catalog/github.yaml', 'docs/errors.md',
  ]) {
    assert.ok(files.includes(needed), `${needed} is packed`);
  }
  const unwanted = files.filter((path) => /^(test|bench|python|src|\.ci|\.tmp|data)\/|\.db$|\.ts$|encryption\.key/.test(path));
  assert.deepEqual(unwanted, []);
});

test('`toolproxy start` from the unpacked package serves the API, the catalog, the dashboard and the hosted pages', async () => {
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  child = spawn(process.execPath, [join(dir, 'package', 'dist', 'src', 'cli', 'main.js'), 'start'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      TOOLPROXY_DATA_DIR: join(dir, 'data'),
      TOOLPROXY_BOOTSTRAP_CLIENT_ID: 'packaged',
      TOOLPROXY_BOOTSTRAP_CLIENT_SECRET: secret,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in time:\n${output}`)), 30_000);
    child!.stdout!.on('data', () => {
      if (output.includes('client_secret')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child!.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  assert.match(output, /^toolproxy \d+\.\d+\.\d+ listening on /);

  const url = `http://127.0.0.1:${port}`;
  const token = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'packaged', client_secret: secret }),
  });
  assert.equal(token.status, 200);
  const headers = { authorization: `Bearer ${((await token.json()) as { access_token: string }).access_token}`, 'content-type': 'application/json' };

  const catalog = (await (await fetch(`${url}/api/v1/providers?filter.provider_type=DEFAULT&page_size=100`, { headers })).json()) as { providers: { identifier: string }[] };
  assert.ok(catalog.providers.some((provider) => provider.identifier === 'stripe'));

  const dashboard = await fetch(`${url}/dashboard/`);
  assert.equal(dashboard.status, 200);
  assert.match(await dashboard.text(), /<script[^>]+src="[^"]+\.js"/);

  assert.equal((await fetch(`${url}/api/v1/connections`, { method: 'POST', headers, body: JSON.stringify({ name: 'stripe', connector: 'stripe' }) })).status, 201);
  const link = await fetch(`${url}/api/v1/connected_accounts/magic_link`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ connection_name: 'stripe', identifier: 'user_1' }),
  });
  assert.equal(link.status, 200, await link.clone().text());
  const page = await fetch(((await link.json()) as { link: string }).link);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /Stripe/);
  assert.match(html, /<style[^>]*>[^<]*--/, 'the shared stylesheet is inlined');
});
