import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { isToolproxyError, type ToolproxyError } from '../errors.ts';
import type { PipelineRequest, Routing } from './call.ts';
import { retriesRequested } from './retry.ts';

/**
 * The `/proxy` door's reading of an HTTP request (reference §4.1): the routing headers, our
 * `x-toolproxy-retries` option, the raw path after `/proxy` and the body as a stream. It never
 * throws: a malformed option becomes the request's `refusal`, which the admit step answers and
 * the record step writes down like any other refusal.
 */
export function proxyRequest(method: string, pathAndQuery: string, headers: IncomingHttpHeaders, body: Readable | null): PipelineRequest {
  let retries = 0;
  let refusal: ToolproxyError | undefined;
  try {
    retries = retriesRequested(headers, method);
  } catch (error) {
    if (!isToolproxyError(error)) throw error;
    refusal = error;
  }
  return { method, routing: routingFromHeaders(headers), pathAndQuery, headers, headersFromParser: true, body, retries, refusal };
}

/**
 * The one routing-header parser: `connection_name` as the reference SDK sends it, or
 * `connection-name` (nginx and some load balancers drop headers with underscores; DESIGN.md
 * §7), and `identifier`. Missing or repeated ones are `''`, which the resolve step refuses with
 * MISSING_ROUTING_HEADERS.
 */
export function routingFromHeaders(headers: IncomingHttpHeaders): Routing {
  const connectionName = headers.connection_name ?? headers['connection-name'];
  const identifier = headers.identifier;
  return {
    connectionName: typeof connectionName === 'string' ? connectionName : '',
    identifier: typeof identifier === 'string' ? identifier : '',
  };
}
