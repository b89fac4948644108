import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

/**
 * SIGTERM on the real server process (`src/main.ts`, as `npm start` runs it) with real sockets:
 * what is in flight finishes with `connection: close`, keep-alive and silent connections do not
 * hold the exit, and TOOLPROXY_SHUTDOWN_DEADLINE_SECONDS bounds a call that never ends.
 */

let upstream: http.Server;
let upstreamUrl: string;
const dirs: string[] = [];
/** Both servers start together (a process start is most of this file's time). */
let draining: Promise<Running>;
let deadline: Promise<Running>;

before(async () => {
  // /slow answers after 1 s; /hang never does.
  upstream = http.createServer((request, response) => {
    if (request.url?.startsWith('/api/slow')) setTimeout(() => response.end('{"slow":true}'), 1000);
    else if (!request.url?.startsWith('/api/hang')) response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
  draining = startServer(20);
  deadline = startServer(1);
  // Both are awaited in their tests; a failed start fails the test that needs it.
  draining.catch(() => undefined);
  deadline.catch(() => undefined);
});
after(async () => {
  for (const running of [draining, deadline]) (await running.catch(() => undefined))?.child.kill('SIGKILL');
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; at: number }>;
  token: string;
}

/** Starts the server process, and gives it an API_KEY connector on the upstream and one ACTIVE account. */
async function startServer(deadlineSeconds: number): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tp-shutdown-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', TOOLPROXY_DATA_DIR: dataDir, TOOLPROXY_EGRESS_ALLOW_CIDRS: '127.0.0.0/8', TOOLPROXY_SHUTDOWN_DEADLINE_SECONDS: String(deadlineSeconds) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match && out.includes('client_secret = ')) resolve(match[1]!);
    });
    void exited.then(({ code }) => reject(new Error(`server exited early (${code})`)));
  });
  const saved = JSON.parse(readFileSync(join(dataDir, 'bootstrap-client.json'), 'utf8')) as { client_id: string; client_secret: string };
  const issued = await fetch(`${url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: saved.client_id, client_secret: saved.client_secret }) });
  const token = ((await issued.json()) as { access_token: string }).access_token;
  const api = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await response.text();
    assert.ok(response.ok, `${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  };
  const connector = await api('/api/v1/custom-providers', {
    display_name: 'Slow API',
    proxy_url: `${upstreamUrl}/api`,
    auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', label: 'Token', input_type: 'password', required: true }] }],
  });
  await api('/api/v1/connections', { name: 'slow', connector: connector.provider.identifier });
  await api('/api/v1/connected_accounts', { connection_name: 'slow', identifier: 'u1', authorization_details: { static_auth: { details: { token: 't' } } } });
  return { child, url, exited, token };
}

interface RawResult {
  status: number;
  head: string;
}

/** One keep-alive connection, requests sent on it one after another. */
class KeepAlive {
  readonly socket: net.Socket;
  #buffer = '';
  #waiting: ((result: RawResult) => void) | undefined;
  readonly closed: Promise<number>;

  constructor(url: string) {
    const { port } = new URL(url);
    this.socket = net.connect(Number(port), '127.0.0.1');
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve(Date.now())));
    this.socket.on('error', () => undefined);
    this.socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString();
      const end = this.#buffer.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(this.#buffer)?.[1] ?? -1);
      if (end < 0 || length < 0 || this.#buffer.length < end + 4 + length) return;
      const head = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 4 + length);
      this.#waiting?.({ status: Number(head.split(' ')[1]), head });
    });
  }

  /** Resolves with the response, or with status 0 if the connection closes first. */
  send(path: string, headers: Record<string, string>): Promise<RawResult> {
    const lines = Object.entries({ host: 'x', ...headers }).map(([name, value]) => `${name}: ${value}`);
    this.socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
    return new Promise((resolve) => {
      this.#waiting = resolve;
      void this.closed.then(() => resolve({ status: 0, head: '' }));
    });
  }
}

describe('shutdown', () => {
  test('SIGTERM: the call in flight finishes with connection: close; keep-alive and silent connections do not hold the exit', async () => {
    const server = await draining;
    const proxyHeaders = { authorization: `Bearer ${server.token}`, connection_name: 'slow', identifier: 'u1' };
    // A client that made one call and keeps its connection open, as HTTP clients do.
    const idleKeepAlive = new KeepAlive(server.url);
    assert.equal((await idleKeepAlive.send('/healthz', {})).status, 200);
    // A TCP connection that never sends a byte.
    const silent = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    silent.on('error', () => undefined);
    const silentClosed = new Promise<number>((resolve) => silent.once('close', () => resolve(Date.now())));
    await new Promise((resolve) => silent.once('connect', resolve));
    // A slow call in flight when SIGTERM arrives (the upstream answers 1 s after it was called).
    const busy = new KeepAlive(server.url);
    const slow = busy.send('/proxy/slow', proxyHeaders);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const sigterm = Date.now();
    server.child.kill('SIGTERM');
    const finished = await slow;
    assert.equal(finished.status, 200, 'the call in flight completes');
    assert.match(finished.head, /\r\nconnection: close/i);
    assert.ok((await busy.closed) - sigterm < 2000, 'its connection ends with it');

    const { code, at } = await server.exited;
    assert.equal(code, 0);
    // Before: 60 s for the silent connection, 72 s (keep-alive timeout) for the idle one.
    assert.ok(at - sigterm < 3000, `exited ${at - sigterm} ms after SIGTERM; the last call ended about 1 s after it`);
    assert.ok((await idleKeepAlive.closed) - sigterm < 1000, 'an idle keep-alive connection is closed at once');
    assert.ok((await silentClosed) - sigterm < 1000, 'a silent connection is closed at once');
  });

  test('a call that never ends is cut at the shutdown deadline', async () => {
    const server = await deadline;
    const hanging = new KeepAlive(server.url);
    void hanging.send('/proxy/hang', { authorization: `Bearer ${server.token}`, connection_name: 'slow', identifier: 'u1' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sigterm = Date.now();
    server.child.kill('SIGTERM');
    const { code, at } = await server.exited;
    assert.equal(code, 0);
    const took = at - sigterm;
    assert.ok(took >= 900 && took < 4000, `exited ${took} ms after SIGTERM, with a 1 s deadline (before: only the 30 s upstream headers timeout bounded it)`);
    assert.ok((await hanging.closed) - sigterm < 4000);
  });
});
