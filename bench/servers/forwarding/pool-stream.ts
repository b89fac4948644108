import type { ServerResponse } from 'node:http';
import { type Dispatcher, Pool } from 'undici';
import { type Forwarder, fail, parseBase } from './forwarder.ts';
import { requestHeaders, responseHeadersFromObject } from './headers.ts';

/**
 * undici `Pool.stream` with a factory that returns the ServerResponse as the writable: undici
 * writes the chunks into it with back-pressure, ends it, and aborts the upstream exchange when it
 * is destroyed (the caller went away).
 */
export function poolStream(base: URL): Forwarder {
  const { origin, prefix } = parseBase(base);
  const pool = new Pool(origin);
  const factory = ({ statusCode, headers, opaque }: Dispatcher.StreamFactoryData<ServerResponse>) =>
    opaque.writeHead(statusCode, responseHeadersFromObject(headers));
  return {
    handle(request, response) {
      const { headers, hasBody } = requestHeaders(request.rawHeaders);
      pool.stream(
        { path: prefix + request.url!, method: request.method as Dispatcher.HttpMethod, headers, body: hasBody ? request : null, opaque: response },
        factory,
        (error) => {
          if (error) fail(response, error);
        },
      );
    },
    close: () => pool.close(),
  };
}
