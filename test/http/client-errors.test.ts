import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * What an outside probe sent without any credentials: encoded `..`, `%00` and `\` in dashboard
 * paths, URLs the router cannot decode and over-long path parameters. Each is the client's
 * error: a 4xx in the documented shape, with `x-toolproxy-error`, and no error-level log line
 * or stack trace (they used to be 500s logged at error level with a stack).
 */

let server: TestServer;

before(async () => {
  server = await startTestServer({ database: await createSqliteDatabase() });
});
after(() => server.close());

/** The request line exactly as written: no client normalises it first. */
function raw(path: string): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`));
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const split = data.indexOf('\r\n\r\n');
      resolve({ status: Number(data.split(' ')[1]), headers: data.slice(0, split).toLowerCase(), body: data.slice(split + 4) });
    });
  });
}

const cases: Array<[string, number, string]> = [
  ['/dashboard/%2e%2e/%2e%2e/etc/passwd', 400, 'INVALID_URL'],
  ['/dashboard/%2e%2e%2fpackage.json', 400, 'INVALID_URL'],
  ['/dashboard/..%2f..%2fpackage.json', 400, 'INVALID_URL'],
  ['/dashboard/%00', 400, 'INVALID_URL'],
  ['/dashboard/index.html%00.js', 400, 'INVALID_URL'],
  ['/dashboard/%5c..%5cpackage.json', 400, 'INVALID_URL'],
  ['/dashboard/\\..\\package.json', 400, 'INVALID_URL'],
  ['/dashboard/no-such-file.js', 404, 'ROUTE_NOT_FOUND'],
  ['/api/v1/connections/%', 400, 'INVALID_URL'],
  ['/api/v1/connections/%zz', 400, 'INVALID_URL'],
  ['/connect/%', 400, 'INVALID_URL'],
  ['/oauth/callback/%E0%A4%A', 400, 'INVALID_URL'],
  [`/api/v1/connections/${'a'.repeat(300)}`, 414, 'URL_TOO_LONG'],
  [`/api/v1/connected_accounts/${'a'.repeat(300)}`, 414, 'URL_TOO_LONG'],
  [`/connect/tpl_${'a'.repeat(300)}`, 414, 'URL_TOO_LONG'],
];

test('each is a 4xx with the documented body and x-toolproxy-error, and nothing is logged at error level', async () => {
  const logged = server.logs.length;
  for (const [path, status, code] of cases) {
    const response = await raw(path);
    assert.equal(response.status, status, `${path}: ${response.body}`);
    assert.match(response.headers, new RegExp(`\r\nx-toolproxy-error: ${code}\r\n`, 'i'), path);
    const body = JSON.parse(response.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, code, path);
    assert.ok(body.error.message.length > 10);
    assert.ok(!response.body.includes('FST_'), 'no framework codes leak');
  }
  const lines = server.logs.slice(logged).map((line) => JSON.parse(line) as { level: number; err?: unknown; msg: string });
  assert.deepEqual(lines.filter((line) => line.level >= 50).map((line) => line.msg), [], 'no error-level line');
  assert.ok(!lines.some((line) => JSON.stringify(line).includes('"stack"')), 'no stack trace');
  // The dashboard itself is still served.
  assert.equal((await raw('/dashboard/')).status, 200);
});
