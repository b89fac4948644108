import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';

/** How often idle keep-alive connections are closed while draining. */
const SWEEP_MS = 100;

/**
 * The HTTP/1.1 side of a graceful shutdown, started before `app.close()`:
 * - every response from now on says `connection: close`, so its connection ends with it (a
 *   keep-alive client is not left holding a connection the server waits for): those of requests
 *   still to come, and those of requests in flight whose headers are not out yet (found through
 *   `sockets`, the server's open connections);
 * - connections whose response was already on its way end as soon as they are idle (Node's
 *   `server.close()` closes idle connections only once, when it is called);
 * - at the deadline, whatever is still open is closed and `onDeadline` ends the rest (HTTP/2
 *   sessions, connections not yet sorted), so a stream that never ends cannot hold the exit.
 * Returns the function that stops the timers once the server has closed.
 */
export function startDraining(
  server: HttpServer,
  options: { deadlineMs: number; log: FastifyBaseLogger; onDeadline?: () => void; sockets?: Iterable<Socket> },
): () => void {
  const closeWithResponse = (_request: IncomingMessage, response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('connection', 'close');
  };
  // First in line, before Fastify's handler writes anything.
  server.prependListener('request', closeWithResponse);
  for (const socket of options.sockets ?? []) {
    // Node's own link from a connection to the response it is writing (its http server uses it).
    const response = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (response && !response.headersSent) response.setHeader('connection', 'close');
  }
  const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
  server.closeIdleConnections();
  const deadline = setTimeout(() => {
    options.log.warn({ deadlineMs: options.deadlineMs }, 'shutdown deadline reached: closing the connections still open');
    server.closeAllConnections();
    options.onDeadline?.();
  }, options.deadlineMs);
  return () => {
    clearInterval(sweep);
    clearTimeout(deadline);
    server.off('request', closeWithResponse);
  };
}
