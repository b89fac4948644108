/**
 * How one input value becomes text in a request: a path segment, query or form pairs, a header
 * value. Each function returns the text or a problem message; render-request.ts collects them.
 */
import { assertValidHeaders } from '../proxy/header-policy.ts';
import { isDotSegment } from '../proxy/url-join.ts';
import type { ValueMapping } from './definition-schema.ts';

export type Rendered<T> = { ok: true; value: T } | { ok: false; message: string };
const ok = <T>(value: T): Rendered<T> => ({ ok: true, value });
const fail = (message: string): Rendered<never> => ({ ok: false, message });

type Scalar = string | number | boolean;
const isScalar = (value: unknown): value is Scalar =>
  typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

// C0 and C1 controls and DEL: CR/LF split a request, NUL truncates one.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const ENCODED_SEPARATOR = /%(?:2f|5c)/i;

/** A value that fills one `{param}` of the path, percent-encoded as exactly one segment. */
export function pathSegment(value: unknown): Rendered<string> {
  if (!isScalar(value)) return fail('must be a string, number or boolean: it fills one path segment');
  const text = String(value);
  if (text === '') return fail('must not be empty: it fills a path segment');
  if (text.includes('/') || text.includes('\\')) return fail('must not contain / or \\: it fills one path segment');
  if (ENCODED_SEPARATOR.test(text)) return fail('must not contain an encoded slash or backslash (%2F, %5C)');
  if (CONTROL.test(text)) return fail('must not contain control characters (CR, LF, NUL, …)');
  let segment: string;
  try {
    segment = encodeURIComponent(text);
  } catch {
    return fail('must be valid Unicode text');
  }
  // `..;x` is `..` to servers that strip path parameters; the URL joiner refuses it too.
  return isDotSegment(segment) ? fail('must not be . or .. (also with ;… after it): it fills a path segment') : ok(segment);
}

/** `[name, value]` pairs for a query parameter or form field (before encoding). */
export function pairs(name: string, value: unknown, mapping: ValueMapping): Rendered<Array<[string, string]>> {
  if (isScalar(value)) return checkedPairs([[name, String(value)]]);
  if (Array.isArray(value)) {
    if (!value.every(isScalar)) return fail('must be an array of strings, numbers or booleans');
    if (value.length === 0) return ok([]);
    const items = value.map(String);
    return checkedPairs(mapping.style === 'comma' ? [[name, items.join(',')]] : items.map((item) => [name, item]));
  }
  if (value !== null && typeof value === 'object') {
    if (mapping.style !== 'deep_object') return fail('must be a string, number, boolean or an array of them');
    const out: Array<[string, string]> = [];
    for (const [member, item] of Object.entries(value)) {
      if (item === undefined || item === null) continue;
      if (!isScalar(item)) return fail(`/${member} must be a string, number or boolean (deep_object is one level)`);
      out.push([`${name}[${member}]`, String(item)]);
    }
    return checkedPairs(out);
  }
  return fail('must be a string, number or boolean');
}

function checkedPairs(list: Array<[string, string]>): Rendered<Array<[string, string]>> {
  for (const [, value] of list) if (!isWellFormed(value)) return fail('must be valid Unicode text');
  return ok(list);
}

/** A header value: scalars as text, arrays joined with ", "; never CR, LF or other controls. */
export function headerValue(name: string, value: unknown): Rendered<string> {
  const text = isScalar(value)
    ? String(value)
    : Array.isArray(value) && value.every(isScalar)
      ? value.map(String).join(', ')
      : null;
  if (text === null) return fail('must be a string, number or boolean: it fills a header');
  try {
    // The proxy's own header check (RFC 9110 field-value): what undici would refuse.
    assertValidHeaders({ [name]: text });
  } catch {
    return fail('must not contain CR, LF or other control characters, nor characters above U+00FF: it fills a header');
  }
  return ok(text);
}

export function encodePairs(list: ReadonlyArray<[string, string]>): string {
  return list.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
}

/** A string without lone UTF-16 surrogates (which have no UTF-8 form). */
function isWellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}
