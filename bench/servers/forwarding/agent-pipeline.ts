import { pipeline } from 'node:stream/promises';
import { Agent, type Dispatcher } from 'undici';
import { type Forwarder, fail, parseBase } from './forwarder.ts';
import { requestHeadersFromObject, responseHeadersFromObject } from './headers.ts';

/**
 * The bench's yardstick until issue 15: an undici Agent (a pool per origin behind a lookup),
 * the headers read from `request.headers`, the answer moved with `stream.pipeline`. Kept for
 * reference, with the header hygiene and injection every candidate has.
 */
export function agentPipeline(base: URL): Forwarder {
  const { origin, prefix } = parseBase(base);
  const agent = new Agent({ keepAliveTimeout: 4_000 });
  return {
    async handle(request, response) {
      const headers = requestHeadersFromObject(request.headers);
      const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
      try {
        const upstream = await agent.request({ origin, path: prefix + request.url!, method: request.method as Dispatcher.HttpMethod, headers, body: hasBody ? request : null });
        response.writeHead(upstream.statusCode, responseHeadersFromObject(upstream.headers));
        await pipeline(upstream.body, response);
      } catch (error) {
        fail(response, error as Error);
      }
    },
    close: () => agent.close(),
  };
}
