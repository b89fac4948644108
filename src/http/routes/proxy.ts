import { Readable, Transform } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../../clock.ts';
import { CallControl } from '../../proxy/call-control.ts';
import { ConcurrencyLimitError, type ConcurrencyLimiter, type ConcurrencySlot } from '../../proxy/concurrency-limiter.ts';
import { upstreamError } from '../../proxy/forwarder.ts';
import { forwardableResponseHeaders } from '../../proxy/header-policy.ts';
import { type ProxyMetrics, UNRESOLVED } from '../../proxy/metrics.ts';
import type { ProxyCall, ProxyResult, ProxyService } from '../../proxy/proxy-service.ts';
import { relay } from '../../proxy/relay.ts';
import type { ProxyCallRecord, RequestLog } from '../../proxy/request-log.ts';
import { REPLAYABLE_BODY_BYTES, retriesRequested, withRetries } from '../../proxy/retry.ts';
import { toToolproxyError } from '../error-handler.ts';
import { redactUrl } from '../log-redaction.ts';

const PREFIX = '/proxy';
/** nginx's "client closed request": the caller left before the response was complete. */
const CLIENT_CLOSED = 499;

export interface ProxyRouteDeps {
  proxy: ProxyService;
  requestLog?: RequestLog | undefined;
  metrics?: ProxyMetrics | undefined;
  /** P19: per-account and per-connection concurrency limits; absent means unlimited. */
  limiter?: ConcurrencyLimiter | undefined;
  /** TOOLPROXY_UPSTREAM_TOTAL_TIMEOUT_MS. */
  totalTimeoutMs?: number | undefined;
  clock?: Clock | undefined;
}

/**
 * `ANY /proxy{path}` (reference §4.1). The request body is passed on as a stream (never parsed or
 * buffered, except a small body the caller asked retries for), and the upstream response is
 * written back as it arrives: status, headers and bytes, with back-pressure both ways. Every call
 * ends in one request-log entry and one metrics observation, whatever happened.
 *
 * A call holds a concurrency slot of its account and connection (P19), keyed by the routing
 * headers, from before the account is resolved until the response is relayed or the call fails.
 */
export async function proxyRoutes(app: FastifyInstance, deps: ProxyRouteDeps): Promise<void> {
  const { proxy, requestLog, metrics, limiter } = deps;
  const totalTimeoutMs = deps.totalTimeoutMs ?? 120_000;
  const clock = deps.clock ?? systemClock;

  // Scoped to this plugin: every body, whatever its type, stays a raw stream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const record = (log: FastifyBaseLogger, call: ProxyCallRecord, connection: string) => {
    requestLog?.record(call);
    metrics?.observe(connection, call);
    if (log.level === 'debug' || log.level === 'trace') {
      log.debug({ method: call.method, url: call.path, status: call.status, ms: call.latencyMs, connection: call.connectionName, account: call.accountId, code: call.errorCode }, 'proxied');
    }
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const started = performance.now();
    const startedAt = clock();
    const raw = reply.raw;
    const control = new CallControl(totalTimeoutMs, startedAt);
    // The response's close (not the request's, which fires once the body is read) tells us the
    // caller went away before we finished.
    const onClose = () => {
      if (!raw.writableFinished) control.callerClosed();
    };
    raw.once('close', onClose);

    const rawUrl = request.raw.url ?? PREFIX;
    const method = request.method;
    const headers = request.headers;
    const entry: ProxyCallRecord = {
      startedAt,
      connectionName: headerText(headers.connection_name ?? headers['connection-name']),
      accountId: null,
      method,
      path: redactUrl(rawUrl.slice(PREFIX.length) || '/'),
      status: 0,
      latencyMs: 0,
      bytesIn: 0,
      bytesOut: 0,
      errorCode: null,
    };
    const finish = (connection: string) => {
      control.finish();
      raw.off('close', onClose);
      entry.latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      record(request.log, entry, connection);
    };

    let slot: ConcurrencySlot | undefined;
    try {
      let result: ProxyResult;
      try {
        const identifier = headers.identifier;
        if (limiter !== undefined && entry.connectionName !== '' && typeof identifier === 'string' && identifier !== '') {
          // Before anything else (even reading a body to replay): a waiting call costs no more
          // than its socket. Without the routing headers forward() refuses the call anyway.
          const acquired = limiter.acquire(entry.connectionName, identifier, control.signal);
          slot = acquired instanceof Promise ? await acquired : acquired;
        }
        const body = (request.body as Readable | undefined) ?? null;
        const length = headers['content-length'];
        const retries = retriesRequested(headers, method);
        const call: ProxyCall = { method, pathAndQuery: rawUrl.slice(PREFIX.length), headers, body, signal: control.signal };
        if (retries > 0 && (body === null || (length !== undefined && Number(length) <= REPLAYABLE_BODY_BYTES))) {
          const replay = body === null ? null : await readAll(body);
          entry.bytesIn = replay?.length ?? 0;
          result = await withRetries(() => proxy.forward({ ...call, body: replay && Readable.from([replay]) }), retries, control.deadline, {
            now: clock,
            random: Math.random,
            sleep: (ms) => control.sleep(ms),
          });
        } else {
          if (body !== null && length === undefined) call.body = counted(body, (n) => (entry.bytesIn += n));
          else entry.bytesIn = body === null ? 0 : Number(length);
          result = await proxy.forward(call);
        }
      } catch (error) {
        if (control.callerGone) {
          // Nobody is left to answer; this is not a server error.
          entry.status = CLIENT_CLOSED;
          entry.errorCode = 'CLIENT_CLOSED';
          finish(UNRESOLVED);
          reply.hijack();
          raw.destroy();
          return;
        }
        const mapped = toToolproxyError(error);
        if (mapped instanceof ConcurrencyLimitError) reply.header('retry-after', String(mapped.retryAfterSeconds));
        entry.status = mapped.statusCode;
        entry.errorCode = mapped.code;
        finish(UNRESOLVED);
        throw mapped;
      }

      const { response, account } = result;
      entry.accountId = account.accountId;
      entry.status = response.statusCode;
      // From here on we own the socket: Fastify's serializer would rewrite headers we pass through.
      reply.hijack();
      raw.writeHead(response.statusCode, forwardableResponseHeaders(response.headers) as Record<string, string | string[]>);
      const relayed = await relay(response.body, raw);
      entry.bytesOut = relayed.bytes;
      if (relayed.error !== undefined) {
        // Upstream broke mid-body, a timeout or the caller went away: the status line is out, so
        // the only honest signal left is an aborted response.
        response.body.destroy();
        raw.destroy();
        entry.errorCode = control.callerGone ? 'CLIENT_CLOSED' : upstreamError(relayed.error).code;
        if (!control.callerGone) request.log.warn({ code: entry.errorCode, account: account.accountId }, 'proxied response aborted');
      }
      finish(account.connectionName);
    } finally {
      // Whatever ended the call (relayed, failed, refused, caller gone, or a throw nobody
      // foresaw), its slot goes back exactly once: a leaked slot would shrink the limit for good.
      if (slot !== undefined) limiter!.release(slot);
    }
  };

  // A child logger per request (Fastify's default) costs more than the rest of Fastify's work on
  // this path; proxy log lines carry their own context (method, path, connection, account).
  const options = { childLoggerFactory: (logger: FastifyBaseLogger) => logger };
  app.all(PREFIX, options, handler);
  app.all(`${PREFIX}/*`, options, handler);
}

function headerText(value: string | string[] | undefined): string {
  return typeof value === 'string' ? value : '';
}

/** The whole body of a small request, for replay across retries (bounded by REPLAYABLE_BODY_BYTES). */
async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A chunked upload has no Content-Length: count its bytes on the way through. */
function counted(body: Readable, add: (n: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      add(chunk.length);
      callback(null, chunk);
    },
  });
  body.on('error', (error) => counter.destroy(error));
  return body.pipe(counter);
}
