import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { INJECTED_NAME, INJECTED_VALUE } from '../servers/forwarding/headers.ts';
import type { Echo } from '../servers/upstream-handler.ts';

/**
 * What makes a forwarding proxy correct enough to be a yardstick, checked against the bench's
 * upstream (servers/upstream-handler.ts) through a proxy whose base maps `/x` to the upstream's
 * `/api/x`. Returns the problems found; none means correct. Used by the bench before it measures
 * (every candidate, and nginx) and by test/bench/yardsticks.test.ts.
 *
 * Back-pressure is seen from the ends, not in the proxy's memory (which other allocations blur):
 * while the caller does not read, how far the upstream got writing; while the upstream does not
 * read, how far the caller got sending. Through a proxy that stops when the other side stops,
 * that is the body's head plus the socket buffers; through one that does not, all of it.
 */
export async function checkForwarding(proxy: string, options: { upstream: string; largeBytes?: number }): Promise<string[]> {
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  const large = options.largeBytes ?? 64 * 1024 * 1024;
  const sections: Array<[string, () => Promise<void>]> = [
    ['headers and body', () => headersAndBody(proxy, expect)],
    ['no body', () => noBody(proxy, expect)],
    ['chunked upload', () => chunkedUpload(proxy, expect)],
    ['large download', () => largeDownload(proxy, options.upstream, large, expect)],
    ['large upload', () => largeUpload(proxy, large, expect)],
  ];
  for (const [name, section] of sections) {
    try {
      await section();
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

type Expect = (ok: boolean, problem: string) => void;

/**
 * Method, path and query, end-to-end headers kept, hop-by-hop ones dropped, the credential
 * injected over the caller's, the body, and the status and headers of the answer.
 */
async function headersAndBody(proxy: string, expect: Expect): Promise<void> {

  const sent = await exchange(proxy, {
    method: 'POST',
    path: '/echo/a%20b?x=1&y=%2F',
    headers: [
      'X-Custom', 'kept',
      'X-Multi', 'one', 'X-Multi', 'two',
      'Connection', 'keep-alive, X-Drop-Me',
      'X-Drop-Me', 'dropped',
      'Keep-Alive', 'timeout=5',
      'Proxy-Connection', 'keep-alive',
      'TE', 'trailers',
      'Trailer', 'X-Checksum',
      'Upgrade', 'websocket',
      'X-Api-Key', 'the-callers-own',
      'Content-Type', 'text/plain',
      'X-Echo-Status', '201',
    ],
    body: 'hello',
  });
  const echo = json<Echo>(sent);
  const received = headerMap(echo.headers);
  expect(echo.method === 'POST', `method: ${echo.method}`);
  expect(echo.url === '/api/echo/a%20b?x=1&y=%2F', `path and query: ${echo.url}`);
  expect(received.get('x-custom')?.join() === 'kept', 'an end-to-end header (X-Custom) was not forwarded');
  expect(['one,two', 'one, two'].includes(received.get('x-multi')?.join(',') ?? ''), `a repeated header (X-Multi): ${received.get('x-multi')?.join(' | ')}`);
  for (const name of ['x-drop-me', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']) {
    expect(!received.has(name), `hop-by-hop ${name} was forwarded`);
  }
  expect(!(received.get('connection') ?? []).some((value) => /x-drop-me/i.test(value)), 'the caller\'s Connection header was forwarded');
  expect(received.get(INJECTED_NAME)?.join(' | ') === INJECTED_VALUE, `injected ${INJECTED_NAME}: ${received.get(INJECTED_NAME)?.join(' | ')}`);
  expect(echo.bodyBytes === 5 && echo.bodySha256 === sha256(Buffer.from('hello')), 'request body');
  expect(sent.status === 201, `status: ${sent.status}`);
  expect(sent.headers.get('x-upstream')?.join() === 'yes', 'response header X-Upstream was not relayed');
  expect(sent.headers.get('set-cookie')?.join(',') === 'a=1,b=2', `Set-Cookie: ${sent.headers.get('set-cookie')?.join(' | ')}`);
  expect(!sent.headers.has('x-hop-response'), 'response header named in Connection was relayed');
  expect(!(sent.headers.get('keep-alive') ?? []).some((value) => value.includes('max=7')), "the upstream's Keep-Alive was relayed");
  for (const name of ['proxy-connection', 'upgrade']) expect(!sent.headers.has(name), `hop-by-hop response header ${name} was relayed`);
}

/** No body: none is invented (no Content-Length, no chunked framing). */
async function noBody(proxy: string, expect: Expect): Promise<void> {
  const get = await exchange(proxy, { method: 'GET', path: '/echo', headers: [] });
  const plain = json<Echo>(get);
  const plainHeaders = headerMap(plain.headers);
  expect(get.status === 200 && plain.method === 'GET' && plain.bodyBytes === 0, 'GET without a body');
  expect(!plainHeaders.has('transfer-encoding') && (plainHeaders.get('content-length')?.join() ?? '0') === '0', 'a GET without a body was sent with one');
}

/** A chunked upload arrives whole; the chunked answer comes back whole. */
async function chunkedUpload(proxy: string, expect: Expect): Promise<void> {
  const payload = randomBytes(1024 * 1024);
  const chunked = await exchange(proxy, { method: 'PUT', path: '/sink', headers: ['Content-Type', 'application/octet-stream'], body: Readable.from(pieces(payload)) });
  const sunk = json<{ bytes: number; sha256: string }>(chunked);
  expect(chunked.status === 200 && sunk.bytes === payload.length && sunk.sha256 === sha256(payload), `chunked upload: ${sunk.bytes} of ${payload.length} bytes`);
}

/** Back-pressure down: the caller stops reading a large answer; the proxy must stop too. */
async function largeDownload(proxy: string, upstream: string, large: number, expect: Expect): Promise<void> {
  const down = await download(proxy, upstream, large);
  expect(down.received === large, `large download: ${down.received} of ${large} bytes`);
  expect(down.aheadBy < large / 2, `download without back-pressure: the upstream wrote ${mb(down.aheadBy)} more than the caller read while it did not read`);
}

/** Back-pressure up: the upstream does not read for a while; the proxy must stop reading the upload. */
async function largeUpload(proxy: string, large: number, expect: Expect): Promise<void> {
  const up = await upload(proxy, large);
  expect(up.bytes === large, `large upload: ${up.bytes} of ${large} bytes`);
  expect(up.sentWhilePaused < large / 2, `upload without back-pressure: the caller sent ${mb(up.sentWhilePaused)} while the upstream did not read`);
}

interface Exchanged {
  status: number;
  headers: Map<string, string[]>;
  body: Buffer;
}

/** One request on a fresh connection with exactly these raw headers. */
function exchange(proxy: string, request: { method: string; path: string; headers: string[]; body?: string | Readable }): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    const target = new URL(proxy);
    // Raw headers as given: node:http then adds no Host of its own, so it is the first one here.
    const headers = ['Host', target.host, ...request.headers];
    const outgoing = http.request({ host: target.hostname, port: target.port, method: request.method, path: request.path, headers, agent: false });
    outgoing.once('error', reject);
    outgoing.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () => resolve({ status: response.statusCode!, headers: headerMap(response.rawHeaders), body: Buffer.concat(chunks) }));
    });
    if (request.body instanceof Readable) request.body.pipe(outgoing);
    else outgoing.end(request.body);
  });
}

const PAUSE_MS = 500;

async function streamed(upstream: string): Promise<number> {
  return ((await (await fetch(`${upstream}/streamed`)).json()) as { bytes: number }).bytes;
}

async function download(proxy: string, upstream: string, bytes: number): Promise<{ received: number; aheadBy: number }> {
  const before = await streamed(upstream);
  return new Promise((resolve, reject) => {
    http.get(`${proxy}/bytes/${bytes}`, { agent: false }, (response) => {
      let received = 0;
      let aheadBy = 0;
      let paused = false;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (paused) return;
        paused = true;
        response.pause();
        setTimeout(() => {
          streamed(upstream).then((now) => {
            aheadBy = now - before - received;
            response.resume();
          }, reject);
        }, PAUSE_MS);
      });
      response.once('end', () => resolve({ received, aheadBy }));
      response.once('error', reject);
    }).once('error', reject);
  });
}

async function upload(proxy: string, bytes: number): Promise<{ bytes: number; sentWhilePaused: number }> {
  let sent = 0;
  let sentWhilePaused = 0;
  // The upstream starts reading after PAUSE_MS; just before, see how much the caller got out.
  const measured = setTimeout(() => (sentWhilePaused = sent), PAUSE_MS - 50);
  const chunk = Buffer.alloc(64 * 1024, 1);
  const body = Readable.from((function* () {
    while (sent < bytes) {
      const next = sent + chunk.length <= bytes ? chunk : chunk.subarray(0, bytes - sent);
      sent += next.length;
      yield next;
    }
  })());
  const answer = await exchange(proxy, { method: 'POST', path: `/sink?pause=${PAUSE_MS}`, headers: ['Content-Length', String(bytes)], body });
  clearTimeout(measured);
  return { bytes: json<{ bytes: number }>(answer).bytes, sentWhilePaused };
}

function* pieces(payload: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < payload.length; offset += 10_000) yield payload.subarray(offset, offset + 10_000);
}

function json<T>(answer: Exchanged): T {
  try {
    return JSON.parse(answer.body.toString('utf8')) as T;
  } catch {
    throw new Error(`HTTP ${answer.status}, not the upstream's JSON: ${answer.body.toString('utf8').slice(0, 80).replace(/\s+/g, ' ')}`);
  }
}

/** Raw header pairs as lower-cased name → values in order. */
function headerMap(raw: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    map.set(name, [...(map.get(name) ?? []), raw[i + 1]!]);
  }
  return map;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
