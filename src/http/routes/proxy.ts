import type { Readable } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CallerGoneError } from '../../proxy/call-control.ts';
import { ToolproxyError } from '../../errors.ts';
import { isProxyMethod } from '../../proxy/header-policy.ts';
import type { ProxyPipeline } from '../../proxy/pipeline.ts';
import { proxyRequest } from '../../proxy/proxy-request.ts';
import { RelaySink } from '../../proxy/sinks.ts';

const PREFIX = '/proxy';

/** The relay sink on a Fastify reply: Fastify lets go of the response before the status line goes out. */
class ReplySink extends RelaySink {
  readonly #reply: FastifyReply;

  constructor(reply: FastifyReply) {
    super(reply.raw);
    this.#reply = reply;
  }

  // From here on we own the socket: Fastify's serializer would rewrite headers we pass through.
  protected override takeOver(): void {
    this.#reply.hijack();
  }
}

/**
 * The Retry-After of a refusal that says when to come back (a concurrency limit, a rate limit):
 * any ToolproxyError that carries `retryAfterSeconds`. Both `/proxy` doors answer with it (this
 * route and proxy-dispatch.ts), so a new refusal of that kind needs no change in either.
 */
export function retryAfterOf(error: unknown): string | undefined {
  if (!(error instanceof ToolproxyError)) return undefined;
  const seconds = (error as ToolproxyError & { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof seconds === 'number' ? String(seconds) : undefined;
}

/**
 * `ANY /proxy{path}` (reference §4.1): the `/proxy` front door of the proxy pipeline
 * (src/proxy/pipeline.ts), which does the whole call. This adapter only reads the request (the
 * body stays a raw stream, never parsed) and answers a refusal in the documented error shape.
 */
export async function proxyRoutes(app: FastifyInstance, deps: { pipeline: ProxyPipeline }): Promise<void> {
  const { pipeline } = deps;

  // Scoped to this plugin: every body, whatever its type, stays a raw stream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const pathAndQuery = (request.raw.url ?? PREFIX).slice(PREFIX.length);
    const body = (request.body as Readable | undefined) ?? null;
    try {
      await pipeline.run(proxyRequest(request.method, pathAndQuery, request.headers, body), { door: 'proxy', actor: request.actor ?? null }, new ReplySink(reply));
    } catch (error) {
      if (error instanceof CallerGoneError) {
        // Nobody is left to answer.
        reply.hijack();
        reply.raw.destroy();
        return;
      }
      const retryAfter = retryAfterOf(error);
      if (retryAfter !== undefined) reply.header('retry-after', retryAfter);
      // The app's error handler answers in the documented shape (and logs a refusal below error level).
      throw error;
    }
  };

  // A child logger per request (Fastify's default) costs more than the rest of Fastify's work on
  // this path; proxy log lines carry their own context (method, path, connection, account).
  const childLoggerFactory = (logger: FastifyBaseLogger) => logger;
  const proxied = app.supportedMethods.filter(isProxyMethod);
  const refused = app.supportedMethods.filter((method) => !isProxyMethod(method));
  for (const url of [PREFIX, `${PREFIX}/*`]) {
    app.route({ method: proxied, url, childLoggerFactory, handler });
    // A method the pipeline refuses (TRACE, QUERY, …) goes to it before Fastify reads a body:
    // QUERY without a Content-Type would otherwise be Fastify's own 400 (RFC 10008 §2), outside
    // our error shape. Only these routes pay for the hook.
    app.route({ method: refused, url, childLoggerFactory, onRequest: handler, handler });
  }
}
