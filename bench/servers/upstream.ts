import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { upstreamHandler } from './upstream-handler.ts';

/** The bench's upstream (upstream-handler.ts) as its own server. Prints `{"ready":true,"port":…}` once listening. */
const server = http.createServer(upstreamHandler);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
