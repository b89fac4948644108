/**
 * Builds the upstream URL from a connector's rendered `proxy_url` and the caller's raw path.
 *
 * Security checklist P1 (path joiner) and P17 (scheme allowlist). We never call
 * the two-argument WHATWG URL constructor (path resolved against base): it drops the base
 * path and follows `//host`, `\host` and `http://host` (checklist §5.1). Instead the caller's
 * path is checked as raw text and appended to the fixed `origin + basePath`, so the only way to
 * leave the base is a path that does not start with `/` or that contains a dot segment, and both
 * are refused. A final WHATWG parse asserts the result
 * (defence in depth); only paths that are plain by construction skip it (see
 * PLAIN_PATH_AND_QUERY).
 *
 * Encoding decisions (documented for callers and tests):
 * - Nothing is ever decoded. `%2F` stays `%2F` (P1 recommendation); `%7B%7B…` stays encoded.
 * - Characters that the WHATWG URL parser would percent-encode anyway are encoded here, as UTF-8:
 *   in the path space `"` `<` `>` `` ` `` `{` `}` and non-ASCII; in the query space `"` `<` `>`
 *   `'` and non-ASCII. So `{{credentials.token}}` and `${x}` reach the upstream literally as
 *   `%7B%7Bcredentials.token%7D%7D` and `$%7Bx%7D` (P2: no template engine ever sees the path),
 *   and the result is byte-identical whether the forwarder hands undici a URL string (which
 *   undici re-parses with WHATWG) or an `origin` + `path` pair (which undici only checks against
 *   `[^\u0021-\u00ff]`, lib/core/request.js). Everything else passes byte-exact.
 * - The query string is data: percent-encoded CR/LF/NUL are allowed there (`?text=a%0Ab`), raw
 *   control characters and `#` are not.
 */

import { ToolproxyError } from '../errors.ts';

export interface UpstreamTarget {
  /** `scheme://host[:port]` as WHATWG serialises it (lower-case host, no default port). */
  origin: string;
  /** The proxy_url path without trailing slashes, `''` when there is none. */
  basePath: string;
}

/** Why a path was refused; sent to the caller in `details.reason`. */
export type InvalidPathReason =
  | 'control_character'
  | 'encoded_control_character'
  | 'fragment'
  | 'absolute_url'
  | 'scheme_relative'
  | 'leading_at'
  | 'backslash'
  | 'missing_leading_slash'
  | 'dot_segment'
  | 'invalid_character'
  | 'escapes_base'
  | 'not_canonical';

const CONTROL = /[\x00-\x1f\x7f]/;
const SCHEME_PREFIX = /^[a-z][a-z0-9+.-]*:/i;
const USERINFO = /^[a-z][a-z0-9+.-]*:[\\/]*[^\\/?#]*@/i;
// CR, LF and NUL are the bytes that split or truncate a request line once a server decodes them.
const ENCODED_CONTROL = /%(?:00|0a|0d)/i;
// %2F separates segments for servers that decode it before normalising; `;` and %3B start
// Tomcat-style path parameters (`/..;/` is treated as `..`).
const SEGMENT_SEPARATOR = /\/|%2f/i;
const PATH_PARAMETER = /;|%3b/i;
// WHATWG's path percent-encode set; `^` joined it in 2024 (Node 24's parser encodes it, Node 20's
// does not), so we encode it ourselves and every Node sends the same bytes.
const PATH_ENCODE = new Set([' ', '"', '<', '>', '^', '`', '{', '}']);
const QUERY_ENCODE = new Set([' ', '"', '<', '>', "'"]);

function invalidPath(reason: InvalidPathReason): ToolproxyError {
  return new ToolproxyError('INVALID_PATH', { details: { reason } });
}

function templateError(reason: string): ToolproxyError {
  return new ToolproxyError('CONNECTOR_TEMPLATE_ERROR', {
    message: "The connector's proxy_url must be an http(s) URL without user info, query or fragment.",
    details: { reason },
  });
}

/** P17: only `http:`/`https:` bases; whether `http:` may reach a host is the egress policy's call (P10). */
export function parseProxyBase(renderedProxyUrl: string): UpstreamTarget {
  if (CONTROL.test(renderedProxyUrl) || renderedProxyUrl !== renderedProxyUrl.trim()) throw templateError('not_a_url');
  let url: URL;
  try {
    url = new URL(renderedProxyUrl);
  } catch {
    throw templateError('not_a_url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw templateError('scheme');
  if (url.username !== '' || url.password !== '' || USERINFO.test(renderedProxyUrl)) throw templateError('userinfo');
  if (url.search !== '' || renderedProxyUrl.includes('?')) throw templateError('query');
  if (url.hash !== '' || renderedProxyUrl.includes('#')) throw templateError('fragment');
  const target = { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
  CANONICAL_TARGETS.add(target);
  return target;
}

/** Targets made by parseProxyBase, canonical by construction: only these may take the fast path. */
const CANONICAL_TARGETS = new WeakSet<UpstreamTarget>();

/**
 * A segment a server may read as `.` or `..`: percent-encoded dots count, and so does anything
 * after a `;` (path parameters: Tomcat and others read `..;x` as `..`). Tool rendering uses the
 * same rule, so a rendered path is never refused here later.
 */
export function isDotSegment(segment: string): boolean {
  const name = segment.split(PATH_PARAMETER)[0]!.replace(/%2e/gi, '.');
  return name === '.' || name === '..';
}

function checkPath(path: string): void {
  if (path === '') return;
  if (SCHEME_PREFIX.test(path)) throw invalidPath('absolute_url');
  if (path.startsWith('//')) throw invalidPath('scheme_relative');
  if (path.startsWith('@')) throw invalidPath('leading_at');
  if (path.includes('\\') || /%5c/i.test(path)) throw invalidPath('backslash');
  if (!path.startsWith('/')) throw invalidPath('missing_leading_slash');
  if (ENCODED_CONTROL.test(path)) throw invalidPath('encoded_control_character');
  if (path.split(SEGMENT_SEPARATOR).some(isDotSegment)) throw invalidPath('dot_segment');
}

function encode(text: string, set: ReadonlySet<string>): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code <= 0x7e) {
      // encodeURIComponent leaves `'` alone, so ASCII is escaped by hand.
      out += set.has(char) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : char;
      continue;
    }
    try {
      out += encodeURIComponent(char);
    } catch {
      throw invalidPath('invalid_character'); // a lone UTF-16 surrogate has no UTF-8 form
    }
  }
  return out;
}

/**
 * The common case, decided by one regular expression: a path of segments made only of letters,
 * digits and sub-delimiters (no `.`, `%`, `;` or `\\`, so no dot segment in any spelling, nothing
 * to encode and nothing a server could decode into a separator), and a query of characters that
 * WHATWG leaves alone (no space, quote, `<`, `>`, `#` or control character). Such a path is
 * already canonical: appended to the canonical base it is exactly what `checkedJoin` returns, so
 * the per-character encode and the defence-in-depth re-parse are skipped (a property test holds
 * the two equal). Anything else takes the checked path.
 */
const PLAIN_PATH_AND_QUERY = /^(?:\/[A-Za-z0-9_~!$&'()*+,=:@-]+)+\/?(?:\?[A-Za-z0-9_~!$&()*+,;=:@/?.%-]*)?$/;

/**
 * `rawPathAndQuery` is what the caller sent after `/proxy` (or the envelope's `path`), not
 * decoded. `''` means the base itself; `?a=1` adds a query to the base.
 */
export function joinUpstreamUrl(target: UpstreamTarget, rawPathAndQuery: string): string {
  return PLAIN_PATH_AND_QUERY.test(rawPathAndQuery) && CANONICAL_TARGETS.has(target)
    ? target.origin + target.basePath + rawPathAndQuery
    : checkedJoin(target, rawPathAndQuery);
}

/** The full join: every check, the encode and the re-parse. Exported for the equivalence test. */
export function checkedJoin(target: UpstreamTarget, rawPathAndQuery: string): string {
  // RFC 3986 §3.5: a fragment is never sent to a server; a raw one means the caller is confused.
  if (CONTROL.test(rawPathAndQuery)) throw invalidPath('control_character');
  if (rawPathAndQuery.includes('#')) throw invalidPath('fragment');
  const q = rawPathAndQuery.indexOf('?');
  const path = q === -1 ? rawPathAndQuery : rawPathAndQuery.slice(0, q);
  const query = q === -1 ? '' : rawPathAndQuery.slice(q);
  checkPath(path);

  const result = target.origin + (target.basePath + encode(path, PATH_ENCODE) || '/') + encode(query, QUERY_ENCODE);

  // Defence in depth (P1): the parsed result keeps the origin and sits under the base path, and
  // WHATWG would not rewrite it, so every way of handing it to undici sends the same bytes.
  let url: URL;
  try {
    url = new URL(result);
  } catch {
    throw invalidPath('escapes_base');
  }
  const { basePath } = target;
  const underBase = url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
  if (url.origin !== target.origin || !underBase) throw invalidPath('escapes_base');
  if (url.href !== result) throw invalidPath('not_canonical');
  return result;
}

/** Query-placed credentials (ext) replace any same-named caller parameter (P7). */
export function withInjectedQuery(path: string, query: Record<string, string>): string {
  const names = Object.keys(query);
  if (names.length === 0) return path;
  const mark = path.indexOf('?');
  const base = mark < 0 ? path : path.slice(0, mark);
  const kept = mark < 0 ? [] : path.slice(mark + 1).split('&').filter((pair) => {
    const name = safeDecode(pair.split('=')[0] ?? '');
    return pair !== '' && !names.includes(name);
  });
  const injected = names.map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(query[name] as string)}`);
  return `${base}?${[...kept, ...injected].join('&')}`;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
