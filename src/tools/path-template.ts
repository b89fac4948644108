/**
 * A tool's request path: literal text with `{param}` placeholders, each naming an input property
 * (`/repos/{owner}/{repo}/issues`, `/files/{id}.json`). A placeholder is replaced by its value
 * percent-encoded as one path segment (render-request.ts), so a value can never add a segment.
 */

export type PathPart = { literal: string } | { param: string };

/** Placeholder names: anything but braces, slashes, whitespace and control characters. */
const PARAM = /^[^{}/\s\u0000-\u001f\u007f]{1,128}$/;
// Literal text: printable ASCII without space, `?`, `#`, backslash or braces.
const LITERAL = /^[\x21-\x7e]*$/;

export type ParsedPath = { ok: true; parts: PathPart[]; params: string[] } | { ok: false; message: string };

/** Splits a template into literal and placeholder parts, or says what is wrong with it. */
export function parsePathTemplate(path: string): ParsedPath {
  if (!path.startsWith('/')) return fail('must start with / (a path relative to the connector proxy_url)');
  if (path.startsWith('//')) return fail('must not start with // (that names another host)');
  if (/[?#]/.test(path)) return fail('must not contain ? or #: map query parameters with request.query');
  if (path.includes('\\')) return fail('must not contain a backslash');
  const parts: PathPart[] = [];
  const params: string[] = [];
  let rest = path;
  while (rest !== '') {
    const open = rest.indexOf('{');
    const close = rest.indexOf('}');
    if (open === -1) {
      if (close !== -1) return fail('has a } without a {');
      parts.push({ literal: rest });
      break;
    }
    if (close !== -1 && close < open) return fail('has a } without a {');
    if (open > 0) parts.push({ literal: rest.slice(0, open) });
    const end = rest.indexOf('}', open);
    if (end === -1) return fail('has a { without a }');
    const name = rest.slice(open + 1, end);
    if (name.startsWith('+') || name.startsWith('#')) {
      return fail(`{${name}} is an RFC 6570 reserved expansion; only {name} placeholders (one segment each) are supported`);
    }
    if (!PARAM.test(name)) return fail(`{${name}} is not a placeholder name (no braces, slashes, spaces or control characters)`);
    parts.push({ param: name });
    params.push(name);
    rest = rest.slice(end + 1);
  }
  for (const part of parts) {
    if ('literal' in part && !LITERAL.test(part.literal)) {
      return fail('must contain only printable ASCII without spaces (percent-encode anything else)');
    }
  }
  const literalSegments = path.replace(/\{[^}]*\}/g, 'x').split('/').map((segment) => segment.replace(/%2e/gi, '.'));
  if (literalSegments.some((segment) => segment === '.' || segment === '..')) return fail('must not contain . or .. segments');
  if (/%2f|%5c/i.test(path)) return fail('must not contain an encoded slash or backslash (%2F, %5C)');
  return { ok: true, parts, params };
}

function fail(message: string): ParsedPath {
  return { ok: false, message };
}
