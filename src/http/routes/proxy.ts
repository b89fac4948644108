import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProxyService } from '../../proxy/proxy-service.ts';
import { forwardableResponseHeaders } from '../../proxy/header-policy.ts';
import { redactUrl } from '../log-redaction.ts';

const PREFIX = '/proxy';

/**
 * `ANY /proxy{path}` (reference §4.1). The request body is passed on as a stream (never parsed or
 * buffered), and the upstream response is written back as it arrives: status, headers and bytes.
 */
export async function proxyRoutes(app: FastifyInstance, proxy: ProxyService): Promise<void> {
  // Scoped to this plugin: every body, whatever its type, stays a raw stream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const started = performance.now();
    const abort = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) abort.abort();
    };
    // The response's close (not the request's, which fires once the body is read) tells us the
    // caller went away before we finished.
    reply.raw.once('close', onClose);

    const rawUrl = request.raw.url ?? PREFIX;
    const { response, account } = await proxy.forward({
      method: request.method,
      pathAndQuery: rawUrl.slice(PREFIX.length),
      headers: request.headers,
      body: (request.body as Readable | undefined) ?? null,
      signal: abort.signal,
    });

    // From here on we own the socket: Fastify's serializer would rewrite headers we pass through.
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(response.statusCode, forwardableResponseHeaders(response.headers) as Record<string, string | string[]>);
    try {
      await pipeline(response.body, raw);
    } catch (error) {
      // Upstream broke mid-body or the caller went away: the status line is out, so the only
      // honest signal left is an aborted response.
      raw.destroy();
      request.log.warn({ code: (error as { code?: string }).code, account: account.accountId }, 'proxied response aborted');
    } finally {
      reply.raw.off('close', onClose);
    }
    request.log.info(
      {
        method: request.method,
        url: redactUrl(rawUrl),
        status: response.statusCode,
        ms: Math.round((performance.now() - started) * 100) / 100,
        connection: account.connectionName,
        account: account.accountId,
      },
      'proxied',
    );
  };

  app.all(PREFIX, handler);
  app.all(`${PREFIX}/*`, handler);
}
