import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { type ErrorCode, ToolproxyError } from '../errors.ts';

/**
 * Requests that never reach a route: Node's HTTP parser refused them (`clientError`), or they
 * asked for a tunnel (`CONNECT`, which Node hands to a `connect` listener or else drops without a
 * word). Both still get the documented error body and `x-toolproxy-error` whenever the socket can
 * take an answer, then the connection is closed (the parser's state is lost, RFC 9112 §9.6).
 */

/** Node's parser error codes (llhttp `HPE_*`, and Node's own) mapped onto the catalogue. */
export function clientErrorCode(nodeCode: string | undefined): ErrorCode {
  switch (nodeCode) {
    case 'HPE_HEADER_OVERFLOW':
      return 'HEADERS_TOO_LARGE';
    // A control character or bare CR in a header name or value.
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return 'INVALID_HEADER';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'PAYLOAD_TOO_LARGE';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'REQUEST_TIMEOUT';
    default:
      return 'MALFORMED_REQUEST';
  }
}

/** The raw HTTP/1.1 response for an error: the one body, our header, and `connection: close`. */
export function rawErrorResponse(error: ToolproxyError, extraHeaders: Record<string, string> = {}): string {
  const body = JSON.stringify(error.toBody());
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-toolproxy-error': error.code,
    connection: 'close',
    ...extraHeaders,
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${error.statusCode} ${statusText(error.statusCode)}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Fastify's `clientErrorHandler` (bound to the instance): answer in the documented shape, then close. */
export function handleClientError(this: { log: FastifyBaseLogger }, err: NodeJS.ErrnoException & { code?: string }, socket: Socket): void {
  // A reset connection is gone: nothing to answer (Node's own handler does the same).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code = clientErrorCode(err.code);
  // Only the parser's own words ("Invalid header value char"), never the bytes it refused.
  const reason = typeof err.message === 'string' ? err.message.replace(/^Parse Error: /, '').slice(0, 200) : undefined;
  const error = new ToolproxyError(code, code === 'MALFORMED_REQUEST' || code === 'INVALID_HEADER' ? { details: { reason } } : {});
  // A client's mistake, not ours: below error level, without a stack.
  this.log.debug({ code, parser: err.code }, 'request refused by the HTTP parser');
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  // Once a response has started on this connection, another one cannot be written after it.
  if (socket.writable && !inFlight?.headersSent) socket.end(rawErrorResponse(error));
  else socket.destroy();
  // A peer that never reads must not keep the socket open.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The server's `connect` listener: toolproxy is no forward proxy, so CONNECT is refused, not dropped. */
export function refuseConnect(log: FastifyBaseLogger): (request: IncomingMessage, socket: Socket) => void {
  return (request, socket) => {
    log.debug({ method: request.method }, 'CONNECT refused');
    const error = new ToolproxyError('METHOD_NOT_ALLOWED', { details: { method: 'CONNECT' } });
    if (socket.writable) socket.end(rawErrorResponse(error));
    setTimeout(() => socket.destroy(), 1000).unref();
  };
}

function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Error';
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};
