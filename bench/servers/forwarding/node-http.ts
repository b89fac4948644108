import http from 'node:http';
import { type Forwarder, fail, parseBase } from './forwarder.ts';
import { requestHeaders, responseHeaders } from './headers.ts';

/**
 * node:http's own client with a keep-alive Agent, both bodies moved with `pipe` (which handles
 * back-pressure both ways).
 */
export function nodeHttp(base: URL): Forwarder {
  const { prefix } = parseBase(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 4_000 });
  return {
    handle(request, response) {
      const { headers } = requestHeaders(request.rawHeaders);
      // Given raw headers, node:http adds no Host of its own.
      headers.push('host', base.host);
      const upstream = http.request(
        { hostname: base.hostname, port: base.port, path: prefix + request.url!, method: request.method, headers, agent },
        (answer) => {
          response.writeHead(answer.statusCode!, responseHeaders(answer.rawHeaders));
          answer.pipe(response);
          answer.once('error', (error) => fail(response, error));
        },
      );
      upstream.once('error', (error) => fail(response, error));
      response.once('close', () => {
        if (!response.writableFinished) upstream.destroy();
      });
      request.pipe(upstream);
    },
    close: async () => agent.destroy(),
  };
}
