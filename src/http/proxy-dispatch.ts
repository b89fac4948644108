import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Actor } from '../actor.ts';
import { CallerGoneError } from '../proxy/call-control.ts';
import type { ProxyPipeline } from '../proxy/pipeline.ts';
import { proxyRequest } from '../proxy/proxy-request.ts';
import { RelaySink } from '../proxy/sinks.ts';
import { toToolproxyError } from './error-handler.ts';
import { retryAfterOf } from './routes/proxy.ts';

/** Fastify's own media-type check (the one its body handling uses), so both doors agree on what is valid. */
const ContentType = createRequire(import.meta.url)('fastify/lib/content-type.js') as { from(header: string): { isValid: boolean } };

const PREFIX = '/proxy';
const BODYLESS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
const BODYWITH: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Not a body: the request goes through Fastify, which decides (see `bodyOf`). */
const ASK_FASTIFY = Symbol('ask Fastify');

export interface ProxyDispatchDeps {
  pipeline: ProxyPipeline;
  /** The actor of the Authorization header (authenticate.ts), the same check as the route's onRequest hook. */
  actorOf: (authorization: string | string[] | undefined) => Promise<Actor>;
  log: FastifyBaseLogger;
}

/**
 * `/proxy` over HTTP/1.1, served before Fastify (issue 15): the same pipeline, app-token check
 * and error answers as the Fastify route in routes/proxy.ts, without Fastify's per-request
 * Request and Reply objects, hook runner, router lookup and content-type parser (measured in
 * bench/README.md). It takes only requests whose every step it does exactly as Fastify would:
 * a proxied method, a path under `/proxy` without `%` (Fastify's router refuses bad escapes
 * itself), and a body Fastify would hand over as the raw stream (GET and HEAD: none; others:
 * a valid Content-Type, or none and no body). Anything else goes to Fastify, whose route
 * stays the one answer for it, for HTTP/2 and for `app.inject`.
 *
 * Installed in front of Fastify's `request` listener, after draining's (draining.ts prepends
 * its own, which runs first).
 */
export function installProxyDispatch(app: FastifyInstance, deps: ProxyDispatchDeps): void {
  const server = app.server;
  const fastifyListeners = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
  if (fastifyListeners.length !== 1) throw new Error(`proxy dispatch: expected Fastify's one request listener, found ${fastifyListeners.length}`);
  const fastify = fastifyListeners[0]!;
  // Fastify answers requests that arrive while it closes with `connection: close`; so do we.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  const serve = proxyServer(deps);
  server.removeListener('request', fastify);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const body = takes(request);
    if (body === ASK_FASTIFY) return fastify(request, response);
    if (closing) response.setHeader('Connection', 'close');
    void serve(request, response, body);
  });
}

/** Whether the dispatch serves this request itself (exported for its test). */
export function dispatchTakes(request: Pick<IncomingMessage, 'url' | 'method' | 'headers'>): boolean {
  return takes(request as IncomingMessage) !== ASK_FASTIFY;
}

/** The body to proxy, or ASK_FASTIFY when this request is not one the dispatch takes. */
function takes(request: IncomingMessage): IncomingMessage | null | typeof ASK_FASTIFY {
  const url = request.url ?? '';
  if (!url.startsWith(PREFIX)) return ASK_FASTIFY;
  const next = url.charCodeAt(PREFIX.length);
  // `/proxy`, `/proxy/…`, `/proxy?…`; not `/proxyx`.
  if (!(Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */)) return ASK_FASTIFY;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path.includes('%') || path.includes('#')) return ASK_FASTIFY;
  return bodyOf(request);
}

/** Fastify's handle-request.js for these methods, with the route's catch-all parser (the raw stream). */
function bodyOf(request: IncomingMessage): IncomingMessage | null | typeof ASK_FASTIFY {
  const method = request.method ?? '';
  if (BODYLESS.has(method)) return null;
  if (!BODYWITH.has(method)) return ASK_FASTIFY;
  const headers = request.headers;
  const contentType = headers['content-type'];
  if (contentType === undefined) {
    const length = headers['content-length'];
    if (headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return null;
    return ASK_FASTIFY;
  }
  return ContentType.from(contentType).isValid ? request : ASK_FASTIFY;
}

function proxyServer(deps: ProxyDispatchDeps) {
  const { pipeline, actorOf, log } = deps;
  return async function serveProxy(request: IncomingMessage, response: ServerResponse, body: IncomingMessage | null): Promise<void> {
    try {
      const actor = await actorOf(request.headers.authorization);
      const pathAndQuery = request.url!.slice(PREFIX.length);
      await pipeline.run(proxyRequest(request.method!, pathAndQuery, request.headers, body), { door: 'proxy', actor }, new RelaySink(response));
    } catch (error) {
      if (error instanceof CallerGoneError) {
        // Nobody is left to answer.
        response.destroy();
        return;
      }
      answerError(response, error, log);
    }
  };
}

/** What the app's error handler (error-handler.ts) answers through Fastify, byte for byte. */
function answerError(response: ServerResponse, error: unknown, log: FastifyBaseLogger): void {
  const mapped = toToolproxyError(error);
  if (mapped.statusCode >= 500) log.error({ err: error, code: mapped.code }, 'request failed');
  else log.debug({ code: mapped.code }, 'request refused');
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const payload = JSON.stringify(mapped.toBody());
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined) response.setHeader('retry-after', retryAfter);
  response.setHeader('x-toolproxy-error', mapped.code);
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.setHeader('content-length', Buffer.byteLength(payload));
  response.statusCode = mapped.statusCode;
  response.end(payload);
}
