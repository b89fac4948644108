/**
 * `{{field}}` templates in a connector's proxy_url, rendered with per-account values.
 *
 * Security checklist P3 and P4. Only the connector author writes the template; values come from
 * end users, so each value must match a strict pattern for the place it is used, rendering fails
 * closed, and the rendered URL is parsed and must keep the template's scheme, port, fixed host
 * prefix/suffix and number of host labels. With `https://{{sub}}.acme.example`, `evil.example#`
 * would otherwise resolve to host `evil.example` (checklist §5.1).
 *
 * Rules:
 * - Placeholders may stand in the host (the value is one DNS label) or the path (the value is
 *   unreserved characters only, never `.` or `..`). Anywhere else (scheme, user info, port,
 *   query) the template is invalid. The template itself has no fragment, `@` or backslash.
 * - HOST_LABEL_PATTERN is lower-case only, the same as when used as a JSON Schema `pattern`;
 *   a caller that wants to accept `Acme` lower-cases it before storing. Values are never altered.
 * - Write non-ASCII host names in punycode: fixed host parts are compared as lower-case ASCII.
 * - A host that is only a placeholder (`https://{{domain}}/api`, the reference's Freshdesk shape)
 *   takes a whole DNS name (`acme.freshdesk.com`): lower-case labels, the last one not numeric, so
 *   no IP literal in any spelling; the parsed host must equal the value. The author chose to let
 *   the user pick the host; whether it may be reached is the egress policy's call (P8/P9).
 */

import { ToolproxyError } from '../errors.ts';

export const HOST_LABEL_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/**
 * A DNS name of HOST_LABEL_PATTERN labels whose last label is neither all digits nor `0x` and hex:
 * the WHATWG URL parser reads a host that "ends in a number" as an IPv4 address in any spelling
 * (`0x7f000001`, `0x7f.1`, `127.1`, `2130706433` are all 127.0.0.1), so never an IPv4 literal.
 */
export const HOSTNAME_PATTERN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*(?!0x[0-9a-f]*$)(?=[a-z0-9-]*[a-z-])[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** RFC 3986 unreserved characters: never percent-encoded, never a delimiter. */
export const PATH_VALUE_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

type Placement = 'host' | 'hostname' | 'path';

interface Template {
  /** Fixed text around each placeholder: `parts.length === fields.length + 1`. */
  parts: string[];
  fields: { name: string; placement: Placement }[];
  scheme: string;
  port: string;
  search: string;
  hostPrefix: string;
  hostSuffix: string;
  hostLabels: number;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const FIELD_NAME = /^[a-z_][a-z0-9_]*$/;
const SLOT = '\u0000'; // stands for a placeholder; control characters are refused in templates
// scheme :// authority (no user info) path? query? — no fragment, no backslash anywhere.
const URL_SHAPE = /^(https?):\/\/([^/?#@\\]*)(\/[^?#\\]*)?(\?[^#\\]*)?$/i;
const AUTHORITY = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/;

function parseTemplate(proxyUrl: string): Template {
  const names: string[] = [];
  const skeleton = proxyUrl.replace(PLACEHOLDER, (_match, name: string) => {
    if (!FIELD_NAME.test(name)) throw new Error(`template field names match ${FIELD_NAME.source}; got "${name}"`);
    names.push(name);
    return SLOT;
  });
  if (/[\x00-\x20\x7f{}]/.test(skeleton.replaceAll(SLOT, ''))) {
    throw new Error('proxy_url has whitespace, a control character or a stray brace');
  }
  const shape = URL_SHAPE.exec(skeleton);
  if (shape === null) throw new Error('proxy_url must be http(s)://host[:port][/path][?query] without user info, fragment or backslash');
  const [, scheme = '', authority = '', path = '', query = ''] = shape;
  const hostAndPort = AUTHORITY.exec(authority);
  if (hostAndPort === null) throw new Error('proxy_url has an invalid host or port');
  const [, host = '', port = ''] = hostAndPort;
  if (port.includes(SLOT)) throw new Error('a template field cannot be used in the port');
  if (query.includes(SLOT)) throw new Error('a template field cannot be used in the query');
  if (!/^\d*$/.test(port)) throw new Error('proxy_url has an invalid port');
  if (host === '') throw new Error('proxy_url has no host');

  const hostSlots = host.split(SLOT).length - 1;
  const parts = skeleton.split(SLOT);
  const lower = host.toLowerCase();
  const template: Template = {
    parts,
    fields: names.map((name, i) => ({ name, placement: i >= hostSlots ? 'path' : host === SLOT ? 'hostname' : 'host' })),
    scheme: `${scheme.toLowerCase()}:`,
    port: '',
    search: '',
    hostPrefix: hostSlots === 0 ? '' : lower.slice(0, lower.indexOf(SLOT)),
    hostSuffix: lower.slice(lower.lastIndexOf(SLOT) + 1),
    hostLabels: host.split('.').length,
  };
  // Parse once with a harmless value in every slot: the template must be a URL the WHATWG parser
  // keeps as written, and this gives port and query as the parser normalises them (`:443` → '').
  let sample: URL;
  try {
    sample = new URL(parts.join('a'));
  } catch {
    throw new Error('proxy_url is not a valid URL');
  }
  if (!hostMatches(template, sample.hostname)) {
    throw new Error('write the proxy_url host in canonical form: lower-case ASCII (punycode), IPv4 as a.b.c.d, IPv6 compressed');
  }
  template.port = sample.port;
  template.search = sample.search;
  if (path.split('/').some(isDotSegment)) throw new Error('proxy_url path has a dot segment');
  return template;
}

function isDotSegment(segment: string): boolean {
  const name = segment.replace(/%2e/gi, '.');
  return name === '.' || name === '..';
}

function hostMatches(template: Template, hostname: string): boolean {
  if (template.fields[0]?.placement === 'hostname') return hostname !== '';
  return hostname.startsWith(template.hostPrefix)
    && hostname.endsWith(template.hostSuffix)
    && hostname.split('.').length === template.hostLabels;
}

function templateOrThrow(proxyUrl: string, code: 'CONNECTOR_INVALID' | 'CONNECTOR_TEMPLATE_ERROR'): Template {
  try {
    return parseTemplate(proxyUrl);
  } catch (error) {
    const message = (error as Error).message;
    const details = code === 'CONNECTOR_INVALID' ? [{ path: '/proxy_url', message }] : { problem: message };
    throw new ToolproxyError(code, { details, cause: error });
  }
}

/** Names used as `{{name}}`, each once, in order. Throws CONNECTOR_INVALID for a bad template. */
export function templateFields(proxyUrl: string): string[] {
  return [...new Set(templateOrThrow(proxyUrl, 'CONNECTOR_INVALID').fields.map((field) => field.name))];
}

function problemFor(name: string, value: unknown, placements: readonly Placement[]): string | null {
  if (value === undefined || value === null || value === '') return `${name} is required`;
  if (typeof value !== 'string') return `${name} must be a string`;
  if (placements.includes('host') && !HOST_LABEL_PATTERN.test(value)) {
    return `${name} must be one DNS label: 1-63 lower-case letters, digits or hyphens, not starting or ending with a hyphen`;
  }
  if (placements.includes('hostname') && !HOSTNAME_PATTERN.test(value)) {
    return `${name} must be a host name such as acme.example.com: lower-case letters, digits, hyphens and dots`;
  }
  if (placements.includes('path') && (!PATH_VALUE_PATTERN.test(value) || value === '.' || value === '..')) {
    return `${name} must be 1-128 letters, digits, '.', '_', '~' or '-', and not '.' or '..'`;
  }
  return null;
}

/**
 * A problem message for `value`, or null. With `proxyUrl`, the value is checked for every place
 * the field is used there; without it, for the strictest place (a host label), which is valid
 * everywhere. Use at account creation (P3: 422 INVALID_FIELD); rendering checks again.
 */
export function validateTemplateValue(name: string, value: unknown, proxyUrl?: string): string | null {
  const placements: Placement[] = proxyUrl === undefined
    ? ['host']
    : templateOrThrow(proxyUrl, 'CONNECTOR_INVALID').fields.filter((f) => f.name === name).map((f) => f.placement);
  return placements.length === 0 ? null : problemFor(name, value, placements);
}

/**
 * The submit-time check (P3): renders proxy_url with the submitted values exactly as a proxy call
 * will, so a value the per-field pattern lets through but the URL parser reads otherwise (an IP
 * spelling, invalid punycode) is refused before the account becomes ACTIVE. A problem names the
 * field when one is to blame, else the fields in the host. Empty when it renders.
 */
export function renderProblems(proxyUrl: string, values: Record<string, string | undefined>): { path: string; message: string }[] {
  try {
    renderProxyUrl(proxyUrl, values);
    return [];
  } catch (error) {
    if (!(error instanceof ToolproxyError) || error.code !== 'CONNECTOR_TEMPLATE_ERROR') throw error;
    const { field, problem } = error.details as { field?: string; problem: string };
    const template = templateOrThrow(proxyUrl, 'CONNECTOR_INVALID');
    const blamed = field !== undefined ? [field] : [...new Set(template.fields.filter((f) => f.placement !== 'path').map((f) => f.name))];
    const names = blamed.length > 0 ? blamed : [...new Set(template.fields.map((f) => f.name))];
    return names.map((name) => ({ path: `/${name}`, message: `${problem} (the URL parser does not read this value as written: use the host name, never an IP address in any spelling)` }));
  }
}

/** P3/P4: renders or throws CONNECTOR_TEMPLATE_ERROR with `details.field`; never renders `undefined`. */
export function renderProxyUrl(proxyUrl: string, values: Record<string, string | undefined>): string {
  const template = templateOrThrow(proxyUrl, 'CONNECTOR_TEMPLATE_ERROR');
  let rendered = template.parts[0]!;
  template.fields.forEach(({ name, placement }, i) => {
    const value: unknown = Object.hasOwn(values, name) ? values[name] : undefined;
    const problem = problemFor(name, value, [placement]);
    if (problem !== null) throw new ToolproxyError('CONNECTOR_TEMPLATE_ERROR', { details: { field: name, problem } });
    rendered += (value as string) + template.parts[i + 1]!;
  });

  const failed = (problem: string) => new ToolproxyError('CONNECTOR_TEMPLATE_ERROR', { details: { problem } });
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw failed('the rendered proxy_url is not a valid URL');
  }
  if (url.protocol !== template.scheme || url.port !== template.port || url.username !== '' || url.password !== ''
    || url.hash !== '' || url.search !== template.search || !hostMatches(template, url.hostname)) {
    throw failed('the rendered proxy_url changes the scheme, host or port of the template');
  }
  if (template.fields[0]?.placement === 'hostname' && url.hostname !== values[template.fields[0].name]) {
    throw failed('the rendered proxy_url host is not the given host name');
  }
  // Values are never '.' or '..', but check the joined path too: fixed text plus a value could form one.
  const renderedPath = rendered.split('?')[0]!.split('/').slice(3);
  if (renderedPath.some(isDotSegment)) throw failed('the rendered proxy_url path has a dot segment');
  return rendered;
}
