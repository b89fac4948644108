import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** Raw header pairs as they arrived (to assert exact counts and casing). */
  rawHeaders: string[];
  body: Buffer;
}

export type UpstreamHandler = (request: ReceivedRequest, response: http.ServerResponse) => void;

export interface Upstream {
  url: string;
  port: number;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on loopback, port 0, that records every request it gets: what the Tool
 * Proxy actually sent is asserted on the wire, not on our own code's view of it.
 */
export async function startUpstream(handler: UpstreamHandler = defaultHandler): Promise<Upstream> {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
      };
      received.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A tiny fake "customers" API under any base path. */
export function defaultHandler(request: ReceivedRequest, response: http.ServerResponse): void {
  const path = request.url.split('?')[0] ?? '';
  if (path.endsWith('/v1/customers') && request.method === 'GET') {
    json(response, 200, { data: [{ id: 'cus_1', name: 'Ada' }], has_more: false }, { 'x-request-id': 'req_123', 'set-cookie': 'upstream=1; Path=/' });
  } else if (path.endsWith('/v1/customers') && request.method === 'POST') {
    json(response, 201, { id: 'cus_2', received: JSON.parse(request.body.toString('utf8') || 'null') }, { location: '/v1/customers/cus_2' });
  } else if (path.endsWith('/v1/broken')) {
    json(response, 500, { error: { type: 'api_error', message: 'upstream exploded' } }, { 'retry-after': '7' });
  } else if (path.endsWith('/v1/me')) {
    json(response, 200, { ok: true });
  } else {
    json(response, 404, { error: { type: 'invalid_request_error', message: `No such route: ${path}` } });
  }
}

export function json(response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}
