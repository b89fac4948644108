import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The loopback upstream of the benchmark: the cheapest honest HTTP server Node has.
 * - any path: a small JSON body with Content-Length (what most API calls look like);
 * - `/bytes/<n>`: streams n bytes of zeros in 64 KiB chunks, respecting back-pressure;
 * - `/slow/<ms>`: the small body, after ms milliseconds (a slow upstream for one account);
 * - `/echo…`: what it received (method, target, raw headers, body length and SHA-256), answered
 *   with the status asked for in `x-echo-status` and hop-by-hop headers a proxy must drop;
 * - `/sink?pause=<ms>`: reads nothing for ms milliseconds, then counts the body; answered chunked;
 * - `/streamed`: how many bytes every `/bytes/<n>` answer has written so far (the socket took them).
 * The last three serve the forwarding checks (lib/forwarding-check.ts).
 */
const SMALL = Buffer.from(JSON.stringify({ data: [{ id: 'cus_1', name: 'Ada Lovelace', email: 'ada@example.com' }], has_more: false }));
const CHUNK = Buffer.alloc(64 * 1024);
let streamed = 0;

export interface Echo {
  method: string;
  url: string;
  headers: string[];
  bodyBytes: number;
  bodySha256: string;
}

export function upstreamHandler(request: IncomingMessage, response: ServerResponse): void {
  const url = request.url ?? '/';
  if (url.includes('/echo')) return echo(request, response);
  if (url.endsWith('/streamed')) return void response.end(JSON.stringify({ bytes: streamed }));
  if (url.includes('/sink')) return sink(request, response, Number(/[?&]pause=(\d+)/.exec(url)?.[1] ?? 0));
  const bytes = /\/bytes\/(\d+)/.exec(url);
  if (bytes) return stream(response, Number(bytes[1]));
  const slowMs = Number(/\/slow\/(\d+)/.exec(url)?.[1] ?? 0);
  request.resume();
  request.on('end', () => {
    const answer = () => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': SMALL.length });
      response.end(SMALL);
    };
    if (slowMs > 0) setTimeout(answer, slowMs);
    else answer();
  });
}

function stream(response: ServerResponse, bytes: number): void {
  let remaining = bytes;
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': remaining });
  const pump = () => {
    while (remaining > 0) {
      const chunk = remaining >= CHUNK.length ? CHUNK : CHUNK.subarray(0, remaining);
      remaining -= chunk.length;
      streamed += chunk.length;
      if (!response.write(chunk)) return void response.once('drain', pump);
    }
    response.end();
  };
  pump();
}

function digestBody(request: IncomingMessage, then: (bytes: number, sha256: string) => void): void {
  const hash = createHash('sha256');
  let bytes = 0;
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    hash.update(chunk);
  });
  request.on('end', () => then(bytes, hash.digest('hex')));
}

function echo(request: IncomingMessage, response: ServerResponse): void {
  digestBody(request, (bodyBytes, bodySha256) => {
    const received: Echo = { method: request.method!, url: request.url!, headers: request.rawHeaders, bodyBytes, bodySha256 };
    const body = Buffer.from(JSON.stringify(received));
    response.writeHead(Number(request.headers['x-echo-status'] ?? 200), [
      'content-type', 'application/json',
      'content-length', String(body.length),
      'x-upstream', 'yes',
      'set-cookie', 'a=1', 'set-cookie', 'b=2',
      // Hop-by-hop, for the proxy to drop (RFC 9110 §7.6.1).
      'connection', 'keep-alive, x-hop-response',
      'x-hop-response', 'dropped-by-a-proxy',
      'keep-alive', 'timeout=61, max=7',
      'proxy-connection', 'keep-alive',
      'upgrade', 'h2c',
    ]);
    response.end(body);
  });
}

function sink(request: IncomingMessage, response: ServerResponse, pauseMs: number): void {
  request.pause();
  setTimeout(() => {
    digestBody(request, (bytes, sha256) => {
      // No Content-Length: the answer goes chunked, which the proxy must relay as such or re-frame.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(JSON.stringify({ bytes, sha256 }));
      response.end();
    });
    request.resume();
  }, pauseMs);
}
