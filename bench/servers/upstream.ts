import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The loopback upstream of the benchmark: the cheapest honest HTTP server Node has.
 * - any path: a small JSON body with Content-Length (what most API calls look like);
 * - `/bytes/<n>`: streams n bytes of zeros in 64 KiB chunks, respecting back-pressure;
 * - `/slow/<ms>`: the small body, after ms milliseconds (a slow upstream for one account).
 * Prints `{"ready":true,"port":…}` on stdout once listening.
 */
const SMALL = Buffer.from(JSON.stringify({ data: [{ id: 'cus_1', name: 'Ada Lovelace', email: 'ada@example.com' }], has_more: false }));
const CHUNK = Buffer.alloc(64 * 1024);

const server = http.createServer((request, response) => {
  const url = request.url ?? '/';
  const bytes = /\/bytes\/(\d+)/.exec(url);
  if (!bytes) {
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
    return;
  }
  let remaining = Number(bytes[1]);
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': remaining });
  const pump = () => {
    while (remaining > 0) {
      const chunk = remaining >= CHUNK.length ? CHUNK : CHUNK.subarray(0, remaining);
      remaining -= chunk.length;
      if (!response.write(chunk)) return void response.once('drain', pump);
    }
    response.end();
  };
  pump();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
