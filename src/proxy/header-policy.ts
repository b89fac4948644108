/**
 * Which headers cross the proxy, in each direction, and which ones we refuse outright.
 *
 * Security checklist P5 (strip from the caller's request), P6 (names and values), P7 (injection
 * comes after this filter; the forwarder passes the injected names as `extraDropped`, so a caller
 * cannot send a second `X-API-Key`), P15 (response headers) and P18 (method allowlist).
 * Names are matched case-insensitively and returned lower-cased; values are never changed.
 * These functions do not validate: call `assertValidHeaders` on caller input first.
 */

import { ToolproxyError } from '../errors.ts';

type IncomingHeaders = Record<string, string | string[] | undefined>;
type OutgoingHeaders = Record<string, string | string[]>;

// RFC 9110 §7.6.1: Connection and the fields it names are hop-by-hop, and so are Proxy-Connection,
// Keep-Alive, TE, Transfer-Encoding and Upgrade. RFC 9113 §8.2.2 adds HTTP2-Settings (h2c upgrade).
const HOP_BY_HOP = [
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'http2-settings',
];

const REQUEST_DROPPED = new Set([
  ...HOP_BY_HOP,
  // framing the forwarder recomputes
  'host', 'expect', 'content-length',
  // the caller's credentials for us, never for the upstream
  'authorization', 'proxy-authorization', 'cookie',
  // forwarding metadata that would reveal or spoof the client (I17)
  'forwarded', 'x-real-ip', 'via',
  // our routing headers (DESIGN.md §7)
  'connection_name', 'connection-name', 'identifier',
]);

const RESPONSE_DROPPED = new Set([...HOP_BY_HOP, 'proxy-authenticate']);

/** Names listed in every `Connection` header, lower-cased (RFC 9110 §7.6.1). */
function connectionOptions(headers: IncomingHeaders): Set<string> {
  const listed = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'connection' || value === undefined) continue;
    for (const item of [value].flat()) {
      for (const option of item.split(',')) {
        const trimmed = option.trim().toLowerCase();
        if (trimmed !== '') listed.add(trimmed);
      }
    }
  }
  return listed;
}

function filter(headers: IncomingHeaders, dropped: (name: string) => boolean): OutgoingHeaders {
  const listed = connectionOptions(headers);
  // A Map, then fromEntries: a header named `__proto__` stays an own property, never a prototype.
  const out = new Map<string, string[]>();
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    // HTTP/2 pseudo-headers (`:authority`, `:path`) describe our hop, not the upstream's.
    if (value === undefined || name.startsWith(':') || listed.has(name) || dropped(name)) continue;
    // Case variants of one name are merged, so `Foo` and `foo` cannot both reach the wire (P6).
    out.set(name, [...(out.get(name) ?? []), ...[value].flat()]);
  }
  return Object.fromEntries(
    [...out].filter(([, values]) => values.length > 0).map(([name, values]) => [name, values.length === 1 ? values[0]! : values]),
  );
}

export function forwardableRequestHeaders(incoming: IncomingHeaders, extraDropped: readonly string[] = []): OutgoingHeaders {
  const extra = new Set(extraDropped.map((name) => name.toLowerCase()));
  return filter(incoming, (name) => REQUEST_DROPPED.has(name) || extra.has(name) || name.startsWith('x-forwarded'));
}

/** P15: Content-Length and Set-Cookie are kept; an envelope API that re-frames drops them itself. */
export function forwardableResponseHeaders(upstream: IncomingHeaders): OutgoingHeaders {
  return filter(upstream, (name) => RESPONSE_DROPPED.has(name));
}

// RFC 9110 §5.6.2 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5 field-value: VCHAR, obs-text, SP and HTAB. This is also exactly what undici 7
// accepts (lib/core/util.js headerCharRegex), so we answer 400 before undici would throw.
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

function invalidHeader(reason: string, header?: string): ToolproxyError {
  // The name is echoed (shortened) to help the caller; a value never is, it may be a secret.
  return new ToolproxyError('INVALID_HEADER', {
    details: header === undefined ? { reason } : { reason, header: header.slice(0, 64) },
  });
}

/** P6: throws INVALID_HEADER for a bad name, a bad value or two case variants of one name. */
export function assertValidHeaders(headers: Record<string, unknown>): void {
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) throw invalidHeader('invalid_name', name.replace(/[^\x21-\x7e]/g, '?'));
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw invalidHeader('duplicate_name', name);
    seen.add(lower);
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (typeof item !== 'string') throw invalidHeader('invalid_value_type', name);
      if (INVALID_VALUE_CHAR.test(item)) throw invalidHeader('invalid_value', name);
    }
  }
}

// P18: CONNECT would open a tunnel and TRACE reflects our injected credentials back to the caller.
const PROXY_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** P18: returns the method upper-cased, or throws INVALID_METHOD. Input case is not significant. */
export function assertProxyMethod(method: string): string {
  const upper = method.toUpperCase();
  if (!TOKEN.test(method) || !PROXY_METHODS.has(upper)) {
    throw new ToolproxyError('INVALID_METHOD', { details: { allowed: [...PROXY_METHODS] } });
  }
  return upper;
}
