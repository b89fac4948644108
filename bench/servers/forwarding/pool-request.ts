import { type Dispatcher, Pool } from 'undici';
import { type Forwarder, fail, parseBase } from './forwarder.ts';
import { requestHeaders, responseHeadersFromObject } from './headers.ts';

/**
 * undici `Pool.request`, then the body's chunks written to the ServerResponse as they arrive
 * ('data' events, pausing the body while the caller's socket is full). The shape toolproxy's
 * forwarder has, without the Agent in front of the pool.
 */
export function poolRequest(base: URL): Forwarder {
  const { origin, prefix } = parseBase(base);
  const pool = new Pool(origin);
  return {
    handle(request, response) {
      const { headers, hasBody } = requestHeaders(request.rawHeaders);
      const abort = new AbortController();
      response.once('close', () => {
        if (!response.writableFinished) abort.abort();
      });
      pool.request({ path: prefix + request.url!, method: request.method as Dispatcher.HttpMethod, headers, body: hasBody ? request : null, signal: abort.signal }).then(
        (upstream) => {
          response.writeHead(upstream.statusCode, responseHeadersFromObject(upstream.headers));
          const body = upstream.body;
          body.on('data', (chunk: Buffer) => {
            if (!response.write(chunk)) {
              body.pause();
              response.once('drain', () => body.resume());
            }
          });
          body.once('end', () => response.end());
          body.once('error', (error) => fail(response, error));
        },
        (error: Error) => fail(response, error),
      );
    },
    close: () => pool.close(),
  };
}
