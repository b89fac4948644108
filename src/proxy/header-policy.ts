/**
 * Which headers cross the proxy, in each direction, and which ones we refuse outright.
 *
 * Security checklist P5 (strip from the caller's request), P6 (names and values), P7 (injection
 * comes after this filter; the inject step passes the injected names as `extraDropped`, so a caller
 * cannot send a second `X-API-Key`), P15 (response headers) and P18 (method allowlist). The
 * pipeline's admit step runs the P6 and P18 checks (pipeline-steps/admit.ts).
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

/** The options of a `Connection` header value, lower-cased (RFC 9110 §7.6.1). */
function connectionOptions(value: string | string[], into: string[]): void {
  for (const item of typeof value === 'string' ? [value] : value) {
    for (const option of item.split(',')) {
      const trimmed = option.trim().toLowerCase();
      if (trimmed !== '') into.push(trimmed);
    }
  }
}

/** Lower-cased copies of a connector's injected names, computed once per (cached) array. */
const loweredExtras = new WeakMap<readonly string[], readonly string[]>();

function lowered(names: readonly string[]): readonly string[] {
  let result = loweredExtras.get(names);
  if (result === undefined) {
    result = names.map((name) => name.toLowerCase());
    loweredExtras.set(names, result);
  }
  return result;
}

function requestDropped(name: string, extra: readonly string[]): boolean {
  // `x-toolproxy-*` are our own per-call options (retries), never the upstream's business.
  return REQUEST_DROPPED.has(name) || extra.includes(name) || name.startsWith('x-forwarded') || name.startsWith('x-toolproxy-');
}

/**
 * One pass, no intermediate collections: this runs twice per proxied call. `extra` is null for
 * a response. Case variants of one name are merged (P6); a name listed in `Connection` goes,
 * whichever order the two arrive in.
 */
function filter(headers: IncomingHeaders, extra: readonly string[] | null): OutgoingHeaders {
  const out: OutgoingHeaders = {};
  let listed: string[] | undefined;
  for (const rawName of Object.keys(headers)) {
    const value = headers[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (name === 'connection') connectionOptions(value, (listed ??= []));
    // HTTP/2 pseudo-headers (`:authority`, `:path`) describe our hop, not the upstream's.
    if (name.charCodeAt(0) === 58 || (extra === null ? RESPONSE_DROPPED.has(name) : requestDropped(name, extra))) continue;
    if (typeof value === 'string') add(out, name, value);
    else if (value.length > 0) add(out, name, value.length === 1 ? value[0]! : [...value]);
  }
  if (listed !== undefined) for (const name of listed) if (Object.hasOwn(out, name)) delete out[name];
  return out;
}

function add(out: OutgoingHeaders, name: string, value: string | string[]): void {
  if (Object.hasOwn(out, name)) {
    out[name] = [...[out[name]!].flat(), ...[value].flat()];
  } else if (name === '__proto__') {
    // Assignment would set the prototype; a header named `__proto__` stays an own property.
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[name] = value;
  }
}

export function forwardableRequestHeaders(incoming: IncomingHeaders, extraDropped: readonly string[] = []): OutgoingHeaders {
  return filter(incoming, extraDropped.length === 0 ? extraDropped : lowered(extraDropped));
}

/** P15: Content-Length and Set-Cookie are kept; an envelope API that re-frames drops them itself. */
export function forwardableResponseHeaders(upstream: IncomingHeaders): OutgoingHeaders {
  return filter(upstream, null);
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
// The one list of methods a call may use, whichever door it came through.
const PROXY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** P18, exact spelling (Node's HTTP parser upper-cases nothing; it only accepts upper-case methods). */
export function isProxyMethod(method: string): boolean {
  return PROXY_METHODS.has(method);
}

/** P18: returns the method upper-cased, or throws INVALID_METHOD. Input case is not significant. */
export function assertProxyMethod(method: string): string {
  const upper = method.toUpperCase();
  if (!TOKEN.test(method) || !PROXY_METHODS.has(upper)) {
    // The method is echoed only when it is a plain token (it cannot carry CR/LF into a log or a body).
    const details = TOKEN.test(method) ? { method: method.slice(0, 32), allowed: [...PROXY_METHODS] } : { allowed: [...PROXY_METHODS] };
    throw new ToolproxyError('INVALID_METHOD', { details });
  }
  return upper;
}
