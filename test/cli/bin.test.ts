import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

/** The real `toolproxy` process: `start`, a command next to it using the data dir's client, exit codes. */

const dataDir = mkdtempSync(join(tmpdir(), 'tp-bin-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function toolproxy(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', TOOLPROXY_URL: '', TOOLPROXY_CLIENT_ID: '', TOOLPROXY_CLIENT_SECRET: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finish(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

test('toolproxy start serves; other commands find it through the data dir; SIGTERM stops it with 0', async () => {
  const server = toolproxy(['start', '--port', '0', '--data-dir', dataDir]);
  const exited = finish(server);
  const banner = await new Promise<string>((resolve, reject) => {
    let text = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('client_secret = ')) resolve(text);
    });
    server.once('close', (code) => reject(new Error(`start exited with ${code}`)));
  });
  try {
    const url = /TOOLPROXY_URL = (\S+)/.exec(banner)![1]!;
    const list = await finish(toolproxy(['connections', 'list', '--url', url, '--data-dir', dataDir]));
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /No connections yet/);
    const missing = await finish(toolproxy(['accounts', 'get', 'acme', 'nobody', '--url', url, '--data-dir', dataDir]));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /\[CONNECTION_NOT_FOUND\]/);
  } finally {
    server.kill('SIGTERM');
  }
  assert.equal((await exited).code, 0);
});
