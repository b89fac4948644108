import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Agent, type Dispatcher } from 'undici';
import { profileOnSignal } from './profiler.ts';

/**
 * The yardstick: the least a correct undici forwarding proxy does. It forwards method, path,
 * headers (minus Host and hop-by-hop Connection) and the body stream to one fixed base URL over
 * pooled keep-alive connections, and streams the answer back. No auth, no lookup, no policy.
 * Usage: minimal-proxy.ts <upstream base URL>
 */
if (!process.argv[2]) throw new Error('usage: minimal-proxy.ts <upstream base URL>');
const base = new URL(process.argv[2]);
const origin = base.origin;
const basePath = base.pathname.replace(/\/+$/, '');
const agent = new Agent({ keepAliveTimeout: 4_000 });

const server = http.createServer(async (request, response) => {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'host' && name !== 'connection') headers[name] = value;
  }
  const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
  try {
    const upstream = await agent.request({
      origin,
      path: basePath + (request.url ?? '/'),
      method: request.method as Dispatcher.HttpMethod,
      headers,
      body: hasBody ? request : null,
    });
    response.writeHead(upstream.statusCode, upstream.headers as http.OutgoingHttpHeaders);
    await pipeline(upstream.body, response);
  } catch {
    if (!response.headersSent) response.writeHead(502).end();
    else response.destroy();
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  profileOnSignal('minimal');
  process.stdout.write(`${JSON.stringify({ ready: true, port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
