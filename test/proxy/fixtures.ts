import http from 'node:http';
import net from 'node:net';
import type { TestServer } from '../helpers/server.ts';

/**
 * Shared set-up for the proxy suites: an API_KEY connector (X-API-Key) on a base URL, a
 * connection and an ACTIVE account created through the management API.
 */
export async function connectApiKey(server: TestServer, options: { name: string; proxyUrl: string; identifier?: string; apiKey?: string }): Promise<void> {
  const connector = await server.api('POST', '/api/v1/custom-providers', {
    display_name: `${options.name} API`,
    proxy_url: options.proxyUrl,
    proxy_enabled: true,
    auth_patterns: [
      {
        type: 'API_KEY',
        fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }],
        auth_header_key_override: 'X-API-Key',
      },
    ],
  });
  if (connector.status !== 201) throw new Error(`connector: ${connector.status} ${connector.text}`);
  const connection = await server.api('POST', '/api/v1/connections', { name: options.name, connector: connector.body.provider.identifier });
  if (connection.status !== 201) throw new Error(`connection: ${connection.status} ${connection.text}`);
  const account = await server.api('POST', '/api/v1/connected_accounts', {
    connection_name: options.name,
    identifier: options.identifier ?? 'user_1',
    authorization_details: { static_auth: { details: { api_key: options.apiKey ?? 'sk_test_proxy' } } },
  });
  if (account.status !== 201) throw new Error(`account: ${account.status} ${account.text}`);
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The response ended before its declared length (the proxy aborted it). */
  aborted: boolean;
}

/** One proxied call with node:http (no fetch normalisation), the body as bytes. */
export function call(
  server: TestServer,
  token: string,
  connection: string,
  path: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string; identifier?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}/proxy${path}`, {
      method: options.method ?? 'GET',
      agent: false,
      headers: { authorization: `Bearer ${token}`, connection_name: connection, identifier: options.identifier ?? 'user_1', ...options.headers },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      const done = (aborted: boolean) => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), aborted });
      response.on('end', () => done(!response.complete));
      response.on('error', () => done(true));
      response.on('aborted', () => done(true));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

/** A TCP server that answers every connection with `handler` (for upstreams that break HTTP). */
export async function startRawUpstream(handler: (socket: net.Socket) => void): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    handler(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads one request head from a raw socket, then calls `then` (the body is ignored). */
export function onRequestHead(socket: net.Socket, then: () => void): void {
  let head = '';
  const onData = (chunk: Buffer) => {
    head += chunk.toString('latin1');
    if (head.includes('\r\n\r\n')) {
      socket.off('data', onData);
      then();
    }
  };
  socket.on('data', onData);
}
