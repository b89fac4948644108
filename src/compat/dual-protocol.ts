import http2 from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';

/** RFC 9113 §3.4: a client with prior knowledge opens with this preface (we match its first line). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

/**
 * ALPN for the TLS variant, in server preference order: clients that can do both (browsers,
 * curl) get HTTP/1.1 and stay on the Fastify server; gRPC clients offer only h2 and get it.
 */
export const ALPN_PROTOCOLS = ['http/1.1', 'h2'];

/** Per session, as common gRPC servers set it (Node's default is unlimited). */
const MAX_CONCURRENT_STREAMS = 100;

/** Session idle timeout (Fastify's http2SessionTimeout): idle SDK sessions reconnect on demand. */
const SESSION_IDLE_MS = 72_000;

export type Http2Handler = (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => void;

export interface DualProtocolOptions {
  host: string;
  port: number;
  /** Every HTTP/2 request (the gRPC services, which fall back to the app for anything else). */
  http2: Http2Handler;
}

export interface DualProtocolServer {
  server: NetServer;
  /** The open TCP connections (TLS sockets too), for a graceful shutdown. */
  readonly sockets: Iterable<Socket>;
  /** Ends what `app.close()` waits on besides HTTP/1.1 connections: HTTP/2 sessions and unsorted sockets. */
  destroyAll(): void;
}

/**
 * One port for HTTP/1.1 and HTTP/2, as the Scalekit SDK needs (wire notes §3.4): its gRPC
 * transport speaks h2c with prior knowledge on `http://` (and h2 via ALPN on `https://`), while
 * its token and proxy calls are HTTP/1.1 to the same origin. `http2.createServer({allowHTTP1})`
 * cannot tell them apart on cleartext, so the app's own server listens and each new connection
 * is sorted first: ALPN `h2`, or bytes that open with the HTTP/2 preface, go to an HTTP/2
 * session; everything else to Fastify's HTTP/1.1 connection handler, unchanged, so its timeouts,
 * keep-alive and close behave exactly as without this. When the app was built with TLS
 * (`https` options carrying `ALPN_PROTOCOLS`), the same sorting runs after the handshake.
 *
 * Returns the listening server (Fastify's); `app.close()` also ends the HTTP/2 sessions (GOAWAY)
 * and the connections that have not said which protocol they speak.
 */
export async function listenDualProtocol(app: FastifyInstance, options: DualProtocolOptions): Promise<DualProtocolServer> {
  const server: NetServer = app.server;
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS } }, (request, response) => {
    // RFC 9113 §8.1: once the response is complete (its trailers are out) while the request body
    // is still arriving, as after an error for a message over the size limit, end the stream with
    // RST_STREAM(NO_ERROR) rather than wait for a body nobody will read (the unread stream would
    // also hold its session, and so shutdown, open). Node does this itself only for responses
    // without trailers, and every gRPC response has them.
    request.stream.once('wantTrailers', () => {
      setImmediate(() => {
        if (!request.complete && !request.stream.destroyed) request.stream.destroy();
      });
    });
    options.http2(request, response);
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    // Idle: GOAWAY. Still there one idle period later (a stream that never finishes): gone.
    session.setTimeout(SESSION_IDLE_MS, () => {
      session.close();
      session.setTimeout(SESSION_IDLE_MS, () => session.destroy());
    });
    session.once('close', () => sessions.delete(session));
  });

  // Connections still being sorted: a silent one would otherwise hold `close` for headersTimeout.
  const unsorted = new Set<Socket>();
  // Every TCP connection, whatever became of it (with TLS, also those still in their handshake).
  const connections = new Set<Socket>();
  const track = (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  };
  server.on('connection', track);
  sortConnections(server, h2, unsorted);

  app.addHook('preClose', (done) => {
    // GOAWAY: streams in flight finish, idle sessions end at once, clients reconnect elsewhere.
    for (const session of sessions) session.close();
    // They have sent no request (not a full preface or request line): nothing is lost.
    for (const socket of unsorted) socket.destroy();
    done();
  });
  await app.listen({ host: options.host, port: options.port });
  // For `localhost`, Fastify also binds each other address it resolves to, with servers of its
  // own (lib/server.js, multipleBindings); they need the same sorting.
  const bindings = Object.getOwnPropertySymbols(app).find((symbol) => symbol.description === 'fastify.serverBindings');
  const extra = bindings ? ((app as unknown as Record<symbol, unknown>)[bindings] as NetServer[] | undefined) : undefined;
  for (const secondary of extra ?? []) {
    if (secondary === server) continue;
    secondary.on('connection', track);
    sortConnections(secondary, h2, unsorted);
    // Fastify forwards only `upgrade` from these: parser errors and CONNECT get the main server's answers too.
    for (const event of ['clientError', 'connect']) secondary.on(event, (...args: unknown[]) => server.emit(event, ...args));
  }
  return {
    server,
    sockets: connections,
    destroyAll() {
      for (const session of sessions) session.destroy();
      for (const socket of connections) socket.destroy();
    },
  };
}

/** Puts the sorting in front of an HTTP/1.1 (or HTTPS) server's own connection handling. */
function sortConnections(server: NetServer, h2: http2.Http2Server, unsorted: Set<Socket>): void {
  const event = server instanceof tls.Server ? 'secureConnection' : 'connection';
  const http1 = server.listeners(event) as Array<(socket: Socket) => void>;
  server.removeAllListeners(event);
  const toHttp1 = (socket: Socket) => {
    for (const listener of http1) listener.call(server, socket);
    socket.resume();
  };
  const toHttp2 = (socket: Socket) => h2.emit('connection', socket);
  // Same patience as the HTTP/1.1 server has for a request's headers.
  const firstBytesMs = (server as { headersTimeout?: number }).headersTimeout || 60_000;
  server.on(event, (socket: Socket) => {
    if ((socket as tls.TLSSocket).alpnProtocol === 'h2') {
      toHttp2(socket);
      return;
    }
    unsorted.add(socket);
    sortByPreface(socket, firstBytesMs, (isHttp2) => {
      unsorted.delete(socket);
      if (isHttp2) toHttp2(socket);
      else toHttp1(socket);
    });
    socket.once('close', () => unsorted.delete(socket));
  });
}

/**
 * What the first bytes of a connection say: HTTP/2 with prior knowledge, HTTP/1.x, or not
 * enough bytes yet to tell (a prefix of the preface).
 */
export function prefaceVerdict(head: Uint8Array): 'http2' | 'http1' | 'more' {
  const n = Math.min(head.length, PREFACE.length);
  if (!PREFACE.subarray(0, n).equals(head.subarray(0, n))) return 'http1';
  return head.length < PREFACE.length ? 'more' : 'http2';
}

/**
 * Reads until `prefaceVerdict` decides, then puts the bytes back (both servers read them from
 * the socket's buffer first) and hands the socket on. A socket that sends nothing is closed
 * after `timeoutMs`, as Node closes one that never finishes its headers.
 */
function sortByPreface(socket: Socket, timeoutMs: number, decide: (isHttp2: boolean) => void): void {
  let head = Buffer.alloc(0);
  const onReadable = () => {
    let chunk: Buffer | null;
    while ((chunk = socket.read() as Buffer | null) !== null) head = Buffer.concat([head, chunk]);
    const verdict = prefaceVerdict(head);
    if (verdict === 'more') return;
    stop();
    socket.unshift(head);
    decide(verdict === 'http2');
  };
  const onGone = () => {
    stop();
    socket.destroy();
  };
  const stop = () => {
    socket.setTimeout(0);
    socket.off('readable', onReadable);
    socket.off('timeout', onGone);
    socket.off('error', onGone);
    socket.off('end', onGone);
  };
  socket.setTimeout(timeoutMs);
  socket.on('timeout', onGone);
  socket.on('error', onGone);
  socket.on('end', onGone);
  socket.on('readable', onReadable);
}
