/**
 * Path patterns of a policy, over the path under the connection's proxy_url (docs/policies.md):
 * `*` matches within one segment (`/v1/*` matches `/v1/customers`, not `/v1/a/b`; `cus_*` matches
 * `cus_123`), a whole `**` segment matches any number of segments, none included (`/v1/**`
 * matches `/v1`, `/v1/a` and `/v1/a/b`). Everything else is literal and case-sensitive.
 *
 * A path is normalised before it is matched, so an encoding the upstream would read the same way
 * cannot slip past a deny: the query is dropped, repeated slashes collapse, and percent-encoded
 * unreserved characters (RFC 3986 §2.3: letters, digits, `-._~`) are decoded (`/v1/%61dmin` is
 * `/v1/admin`). Other escapes (`%2F`) stay as sent: they are part of one segment.
 */

const FORBIDDEN = /[\x00-\x20\x7f?#\\]/;
const UNRESERVED_ESCAPE = /%(?:[46][1-9a-fA-F]|[57][0-9aA]|3[0-9]|2[dDeE]|5[fF]|7[eE])/g;

/** Why a pattern is not one, or undefined when it is. */
export function patternProblem(pattern: string): string | undefined {
  if (!pattern.startsWith('/')) return 'must start with /';
  if (FORBIDDEN.test(pattern)) return 'must not contain spaces, control characters, ?, # or \\';
  for (const segment of pattern.split('/').slice(1)) {
    if (segment.includes('**') && segment !== '**') return '** must be a whole segment (/v1/**), not part of one';
    if (segment === '.' || segment === '..') return 'must not contain dot segments';
  }
  return undefined;
}

export interface PathMatcher {
  readonly pattern: string;
  test(path: string): boolean;
}

/** A matcher for a valid pattern (see `patternProblem`). */
export function compilePattern(pattern: string): PathMatcher {
  let source = '^';
  for (const segment of pattern.split('/').slice(1)) {
    source += segment === '**' ? '(?:/.*)?' : `/${segment.split('*').map(escapeRegExp).join('[^/]*')}`;
  }
  const regExp = new RegExp(`${source}$`);
  return { pattern, test: (path) => regExp.test(path) };
}

/** The path a policy matches: under proxy_url, without the query, normalised (see the file comment). */
export function policyPath(joinedPath: string, basePath: string): string {
  const query = joinedPath.indexOf('?');
  let path = (query === -1 ? joinedPath : joinedPath.slice(0, query)).slice(basePath.length);
  if (path.includes('//')) path = path.replace(/\/{2,}/g, '/');
  if (path.includes('%')) path = path.replace(UNRESERVED_ESCAPE, (escape) => String.fromCharCode(Number.parseInt(escape.slice(1), 16)));
  return path === '' ? '/' : path;
}

/**
 * Whether every path `inner` matches is also matched by `outer` (both valid patterns). Sound, not
 * complete: when it cannot tell (two different partial wildcards), it answers false, so a
 * narrowing policy is refused rather than allowed to widen.
 */
export function patternContains(outer: string, inner: string): boolean {
  const o = outer.split('/').slice(1);
  const i = inner.split('/').slice(1);
  const memo = new Map<number, boolean>();
  const covers = (a: number, b: number): boolean => {
    const key = a * (i.length + 1) + b;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (a === o.length) result = b === i.length;
    else if (o[a] === '**') result = covers(a + 1, b) || (b < i.length && covers(a, b + 1));
    else if (b === i.length || i[b] === '**') result = false;
    else result = segmentCovers(o[a]!, i[b]!) && covers(a + 1, b + 1);
    memo.set(key, result);
    return result;
  };
  return covers(0, 0);
}

function segmentCovers(outer: string, inner: string): boolean {
  if (!outer.includes('*')) return outer === inner;
  if (!inner.includes('*')) return compilePattern(`/${outer}`).test(`/${inner}`);
  return outer === '*' || outer === inner;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
