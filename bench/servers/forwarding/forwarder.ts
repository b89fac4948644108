import type { IncomingMessage, ServerResponse } from 'node:http';

/** One yardstick candidate: a request handler for node:http that forwards to one upstream base URL. */
export interface Forwarder {
  handle(request: IncomingMessage, response: ServerResponse): void;
  close(): Promise<void>;
}

/** Splits a base URL (`http://127.0.0.1:8080/api`) into the origin and the path prefix. */
export function parseBase(base: URL): { origin: string; prefix: string } {
  return { origin: base.origin, prefix: base.pathname.replace(/\/+$/, '') };
}

/** An upstream failure: 502 before the head was sent, a broken-off response after it. */
export function fail(response: ServerResponse, error?: Error): void {
  if (!response.headersSent) response.writeHead(502, { 'content-length': 0 }).end();
  else response.destroy(error);
}
