import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

/** The real entry point, as `npm start` runs it: first start, restart, wrong key. */

interface Started {
  child: ChildProcess;
  stdout: string;
}

function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in time; stderr: ${stderr}`)), 30_000);
    child.stdout!.on('data', () => {
      if (/client_secret = /.test(stdout)) {
        clearTimeout(timer);
        resolve({ child, stdout });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`exited with ${code}`), { code, stderr }));
    });
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

function field(stdout: string, name: string): string {
  const match = new RegExp(`${name}\\s*=\\s*(\\S+)`).exec(stdout);
  assert.ok(match, `${name} in banner:\n${stdout}`);
  return match[1]!;
}

describe('starting the server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tp-start-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('first start creates the data dir, key and bootstrap client, prints them, and they work', async () => {
    const { child, stdout } = await start({ TOOLPROXY_DATA_DIR: dataDir });
    try {
      assert.match(stdout, /listening on http:\/\/127\.0\.0\.1:\d+/);
      assert.match(stdout, /Hosted pages\s+: http:\/\/localhost:\d+\/connect\//);
      assert.match(stdout, /created now/);
      assert.match(stdout, /\(shown this once; kept in .*bootstrap-client\.json, mode 0600, where the CLI finds it\)/);
      assert.equal(statSync(join(dataDir, 'encryption.key')).mode & 0o777, 0o600);
      assert.equal(statSync(join(dataDir, 'bootstrap-client.json')).mode & 0o777, 0o600);
      assert.equal(statSync(join(dataDir, 'toolproxy.db')).mode & 0o777, 0o600);
      const url = field(stdout, 'TOOLPROXY_URL');
      const response = await fetch(`${url}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: field(stdout, 'client_id'), client_secret: field(stdout, 'client_secret') }),
      });
      assert.equal(response.status, 200);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  test('a restart names the same bootstrap client and where its secret is kept, but never prints the secret again', async () => {
    const first = await start({ TOOLPROXY_DATA_DIR: dataDir });
    await stop(first.child);
    const second = await start({ TOOLPROXY_DATA_DIR: dataDir });
    await stop(second.child);
    const saved = JSON.parse(readFileSync(join(dataDir, 'bootstrap-client.json'), 'utf8')) as { client_id: string; client_secret: string };
    for (const { stdout } of [first, second]) {
      assert.equal(field(stdout, 'client_id'), saved.client_id);
      assert.ok(!stdout.includes(saved.client_secret), 'container logs keep what is printed: the secret is shown only when created');
      assert.match(stdout, new RegExp(`client_secret = \\(not shown again: it is in ${join(dataDir, 'bootstrap-client.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`));
      assert.doesNotMatch(stdout, /created now/);
    }
  });

  test('refuses to start with a key that does not match the database (S6), in one line', async () => {
    const wrongKey = randomBytes(32).toString('base64');
    await assert.rejects(start({ TOOLPROXY_DATA_DIR: dataDir, TOOLPROXY_ENCRYPTION_KEY: wrongKey }), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      const lines = error.stderr.trim().split('\n');
      assert.equal(lines.length, 1, error.stderr);
      assert.match(lines[0]!, /^toolproxy: could not start: the encryption key does not match this database/);
      assert.ok(!error.stderr.includes(wrongKey));
      return true;
    });
  });
});
