import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { cli } from '../cli/run-cli.ts';
import { submitHostedForm } from './scenario-fixtures.ts';

/**
 * The README's walkthrough, run as written: the CLI block (its connector pointed at a loopback
 * upstream), then the Node and Python examples verbatim as child processes. Where the examples
 * wait for the user to authorize, the test submits the hosted form and presses Enter.
 */

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const REPO = new URL('../../', import.meta.url).pathname;
const USER_API_KEY = 'sk_readme_user_123';

function block(name: string): string {
  const match = new RegExp(`<!-- readme-test: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\``).exec(README);
  assert.ok(match, `README has a block marked readme-test: ${name}`);
  return match[1]!;
}

/** Words of a shell command line: spaces separate, single quotes group, `# …` ends it. */
function words(line: string): string[] {
  const result: string[] = [];
  for (const match of line.matchAll(/'([^']*)'|(#.*$)|(\S+)/g)) {
    if (match[2] !== undefined) break;
    result.push(match[1] ?? match[3]!);
  }
  return result;
}

let upstream: Upstream;
let server: TestServer;
let workDir: string;

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase(), env: { LOG_LEVEL: 'warn' } });
  workDir = await mkdtemp(join(tmpdir(), 'tp-readme-'));
});
after(async () => {
  // The upstream closes even when the server failed to start, so the file never hangs.
  try {
    await server?.close();
  } finally {
    await upstream?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }
});

test('the README CLI walkthrough runs, command by command', async () => {
  const env = { TOOLPROXY_URL: server.url, TOOLPROXY_DATA_DIR: server.dataDir };
  const lines = block('cli').split('\n');
  let ran = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^cat > (\S+) <<'EOF'$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf('EOF', i);
      // The one change: the example upstream is a loopback server here.
      const content = lines.slice(i + 1, end).join('\n').replace('https://api.acme.example', upstream.url);
      await writeFile(join(workDir, heredoc[1]!), `${content}\n`);
      i = end;
      continue;
    }
    if (!line.startsWith('toolproxy ')) continue;
    const result = await cli(words(line).slice(1), env, workDir);
    assert.equal(result.code, 0, `${line}\n${result.stderr}`);
    ran++;
    if (line.includes('accounts link')) await submitHostedForm(result.stdout.trim(), server.url, { api_key: USER_API_KEY });
    if (line.includes('GET /customers')) assert.equal(JSON.parse(result.stdout).data[0].id, 'cus_1');
    if (line.includes('accounts list')) assert.match(result.stdout, /acme\s+user_123\s+ACTIVE/);
  }
  assert.equal(ran, 6);
  assert.equal(upstream.received.find((r) => r.method === 'POST')!.headers['x-api-key'], USER_API_KEY);
});

/** Runs an example; when it asks for Enter, authorizes through the printed link, then presses it. */
async function runInteractive(command: string, args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(command, args, {
    cwd: REPO,
    env: { ...process.env, TOOLPROXY_URL: server.url, TOOLPROXY_CLIENT_ID: server.clientId, TOOLPROXY_CLIENT_SECRET: server.clientSecret, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let authorized = false;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<number | null>((resolve) => child.once('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!authorized && stdout.includes('Press Enter after authorizing...')) {
        authorized = true;
        const link = /Authorize connector: (\S+)/.exec(stdout)![1]!;
        submitHostedForm(link, server.url, { api_key: USER_API_KEY }).then(() => {
          child.stdin.end('\n');
          resolve();
        }, reject);
      }
    });
    child.once('close', () => (authorized ? resolve() : reject(new Error(`exited before asking to authorize:\n${stdout}\n${stderr}`))));
  });
  assert.equal(await done, 0, `${stdout}\n${stderr}`);
  return stdout;
}

test('the README Node SDK example runs as written', async () => {
  const stdout = await runInteractive(process.execPath, ['--conditions=toolproxy-source', '--import', 'tsx', '--input-type=module', '-e', block('node')], {});
  assert.match(stdout, /200 \{ data: \[ \{ id: 'cus_1', name: 'Ada' \} \], has_more: false \}\n/);
  assert.match(stdout, /\n404\n/);
  assert.match(stdout, /\nACCOUNT_NOT_FOUND\n/);
});

test('the README Python SDK example runs as written', async () => {
  const stdout = await runInteractive(process.env.PYTHON ?? 'python3', ['-c', block('python')], {
    PYTHONPATH: join(REPO, 'python'),
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  });
  assert.match(stdout, /200 \{'data': \[\{'id': 'cus_1', 'name': 'Ada'\}\], 'has_more': False\}\n/);
  assert.match(stdout, /\nACCOUNT_NOT_FOUND\n/);
});
