import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startWireRecorder, type WireRecorder } from '../helpers/wire-recorder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * The Python SDK's own suite (`python3 -m unittest`, standard library only) against a real
 * server on loopback, so `npm test` and CI run it. Python 3.9 or newer must be installed: a
 * missing interpreter fails here rather than skipping the SDK silently.
 */

const PYTHON = process.env.PYTHON ?? 'python3';
const PYTHON_DIR = new URL('../../python/', import.meta.url).pathname;

interface Run {
  code: number | null;
  output: string;
}

function run(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  return new Promise((resolve, reject) => {
    // No bytecode files in the source tree; no pip self-update check on the network.
    const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', ...options.env };
    const child = spawn(PYTHON, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

let server: TestServer;
/** python/tests/test_tools.py runs tools through a wire recorder in front of the real server (it keeps the execute_tool bodies sent). */
let stub: WireRecorder;
before(async () => {
  // python/tests/test_approvals.py: calls whose path holds /needs-approval wait for a person.
  server = await startTestServer({
    database: await createSqliteDatabase(),
    env: { LOG_LEVEL: 'warn' },
    approvalRequirement: (call) => (call.joinedPath.includes('/needs-approval') ? { rule: 'test: /needs-approval' } : null),
  });
  stub = await startWireRecorder(server.url);
});
after(async () => {
  await stub?.close();
  await server?.close();
});

test('Python 3.9 or newer is installed', async () => {
  const version = await run(['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { cwd: PYTHON_DIR });
  assert.equal(version.code, 0, `${PYTHON} is needed for the Python SDK tests: ${version.output}`);
  const [major, minor] = version.output.trim().split('.').map(Number);
  assert.ok(major! > 3 || (major === 3 && minor! >= 9), `Python ${version.output.trim()} is older than 3.9`);
});

test('the Python SDK suite passes against a live server (python3 -m unittest)', async () => {
  const result = await run(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v'], {
    cwd: PYTHON_DIR,
    env: { TOOLPROXY_TEST_URL: server.url, TOOLPROXY_TEST_EXECUTE_URL: stub.url, TOOLPROXY_TEST_CLIENT_ID: server.clientId, TOOLPROXY_TEST_CLIENT_SECRET: server.clientSecret },
  });
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /\nOK\b/);
  assert.match(result.output, /test_execute_tool \(tests\.test_tools\.ToolsTest/);
  assert.match(result.output, /test_a_held_call_runs_once_when_approved .* ok/);
});

test('the package installs with pip with no package index, and imports from the install', async () => {
  const target = await mkdtemp(join(tmpdir(), 'tp-pip-'));
  try {
    const install = await run(['-m', 'pip', 'install', '--no-index', '--no-deps', '--target', join(target, 'site'), '.'], { cwd: PYTHON_DIR });
    assert.equal(install.code, 0, install.output);
    const imported = await run(['-c', 'import toolproxy, os; print(toolproxy.__version__, os.path.dirname(toolproxy.__file__))'], {
      cwd: target,
      env: { PYTHONPATH: join(target, 'site') },
    });
    assert.equal(imported.code, 0, imported.output);
    assert.equal(imported.output.trim(), `0.1.0 ${join(target, 'site', 'toolproxy')}`);
  } finally {
    await rm(target, { recursive: true, force: true });
  }
});
