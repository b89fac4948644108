import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Header hygiene shared by every yardstick candidate: what a correct forwarding proxy must do and
 * nothing more. RFC 9110 §7.6.1: Connection and the fields it names are hop-by-hop, and so are
 * Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding and Upgrade; Host names our hop.
 * One credential header is injected (what toolproxy's API_KEY account injects in the bench) and
 * replaces any the caller sent, so a caller cannot override it.
 */
export const INJECTED_NAME = 'x-api-key';
export const INJECTED_VALUE = 'sk_bench_0';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export interface ForwardedRequest {
  /** Flat [name, value, …], as undici and node:http take them. */
  headers: string[];
  /** RFC 9112 §6.3: a body is announced by Transfer-Encoding or a non-zero Content-Length. */
  hasBody: boolean;
}

/**
 * Request headers from `rawHeaders` ([name, value, name, value, …]). Reading `request.headers`
 * instead would make Node build the parsed object first: one pass more than needed.
 */
export function requestHeaders(raw: readonly string[]): ForwardedRequest {
  const out: string[] = [];
  let listed: string | undefined;
  let hasBody = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'connection') listed = listed === undefined ? value : `${listed},${value}`;
    else if (name === 'transfer-encoding') hasBody = true;
    else if (!HOP_BY_HOP.has(name) && name !== 'host' && name !== INJECTED_NAME) {
      if (name === 'content-length' && value !== '0') hasBody = true;
      out.push(name, value);
    }
  }
  out.push(INJECTED_NAME, INJECTED_VALUE);
  return { headers: listed === undefined ? out : withoutListed(out, listed), hasBody };
}

/** Response headers from raw pairs (strings, or the Buffers undici's raw handler gets), as a flat array for `writeHead`. */
export function responseHeaders(raw: readonly (string | Buffer)[]): string[] {
  const out: string[] = [];
  let listed: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    if (name === 'connection') listed = listed === undefined ? value : `${listed},${value}`;
    else if (!HOP_BY_HOP.has(name)) out.push(name, value);
  }
  return listed === undefined ? out : withoutListed(out, listed);
}

/** Response headers from a parsed object (undici's `request`, `stream` and new handler API). */
export function responseHeadersFromObject(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  let listed: string[] | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'connection') listed = tokens(String(value));
    else if (!HOP_BY_HOP.has(name)) out[name] = value;
  }
  if (listed !== undefined) for (const name of listed) delete out[name];
  return out;
}

/** Request headers from `request.headers` (an object), for the old yardstick's shape. */
export function requestHeadersFromObject(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let listed: string[] | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'connection') listed = tokens(String(value));
    else if (!HOP_BY_HOP.has(name) && name !== 'host') out[name] = value;
  }
  if (listed !== undefined) for (const name of listed) delete out[name];
  out[INJECTED_NAME] = INJECTED_VALUE;
  return out;
}

function tokens(value: string): string[] {
  return value.split(',').map((token) => token.trim().toLowerCase()).filter(Boolean);
}

function withoutListed(pairs: string[], listed: string): string[] {
  const drop = new Set(tokens(listed));
  drop.delete(INJECTED_NAME);
  const out: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) if (!drop.has(pairs[i]!)) out.push(pairs[i]!, pairs[i + 1]!);
  return out;
}
