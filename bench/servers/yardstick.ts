import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CANDIDATES } from './forwarding/candidates.ts';
import { profileOnSignal } from './profiler.ts';

/**
 * A yardstick candidate as its own server: node:http in front of one forwarding strategy
 * (servers/forwarding/). Prints `{"ready":true,"port":…}` once listening.
 * Usage: yardstick.ts <candidate> <upstream base URL>
 */
const [name, base] = process.argv.slice(2);
const create = CANDIDATES[name ?? ''];
if (!create || !base) throw new Error(`usage: yardstick.ts <${Object.keys(CANDIDATES).join('|')}> <upstream base URL>`);
const forwarder = create(new URL(base));

const server = http.createServer(forwarder.handle);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  profileOnSignal(name!);
  process.stdout.write(`${JSON.stringify({ ready: true, port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
