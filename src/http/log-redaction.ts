import type { FastifyRequest } from 'fastify';
import { withoutQueryValues } from '../proxy/request-log.ts';

/**
 * Paths and values that must never reach a log line (S9): credentials in headers, link tokens
 * in hosted-page URLs, and query values (they may carry anything).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.client_secret',
  '*.password',
  '*.api_key',
  '*.token',
];

/** `/connect/tpl_…?x=1` → `/connect/[redacted]?x=…`: keeps what helps debugging, drops values. */
export function redactUrl(url: string): string {
  const mark = url.indexOf('?');
  const path = (mark < 0 ? url : url.slice(0, mark)).replace(/\/connect\/[^/?]+/, '/connect/[redacted]');
  return withoutQueryValues(mark < 0 ? path : path + url.slice(mark));
}

export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, url: redactUrl(request.url), reqId: request.id };
}
