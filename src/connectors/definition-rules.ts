/**
 * Rules a JSON Schema cannot say: templates name declared text fields, scheme fields exist,
 * mutations target credential fields, header names are safe, URLs have no credentials. They run on
 * the partly valid input too (defensively), so one response lists every problem.
 */
import { INJECTED_FIELD_NAMES, bearerTokenField } from '../auth/index.ts';
import { isToolproxyError, type Problem } from '../errors.ts';
import type { AuthType } from './definition-schema.ts';
import { templateFields } from './template.ts';

type Json = Record<string, unknown>;
export interface TypedPattern {
  index: number;
  type: AuthType;
  pattern: Json;
}

// P5 / RFC 9110 §7.6.1: the proxy strips or recomputes these, so a connector cannot set them.
const FORBIDDEN_HEADERS = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te',
  'trailer', 'upgrade', 'expect', 'cookie', 'proxy-authorization', 'forwarded', 'via', 'x-real-ip',
]);
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const RESERVED_FIELD_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const TEMPLATE = /\{\{[^{}]*\}\}/g;

const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const records = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isRecord) : []);

export function definitionRuleProblems(definition: Json, patterns: readonly TypedPattern[]): Problem[] {
  const problems: Problem[] = [];
  const proxyUrl = definition['proxy_url'];
  if (typeof proxyUrl === 'string' && /^https?:\/\//.test(proxyUrl)) {
    const shape = urlProblems(proxyUrl, '/proxy_url', { templates: true, query: false });
    problems.push(...shape);
    if (shape.length === 0) for (const typed of patterns) problems.push(...templateProblems(proxyUrl, typed));
  }
  const icon = definition['icon_src'];
  if (typeof icon === 'string' && icon.startsWith('https://')) {
    problems.push(...urlProblems(icon, '/icon_src', { templates: false, query: true }));
  }
  for (const typed of patterns) problems.push(...patternProblems(typed));
  return problems;
}

/** A header name a connector may set: an RFC 9110 token that the proxy does not own. */
export function headerNameProblem(name: string): string | null {
  if (!HEADER_TOKEN.test(name)) return 'must be a header name (RFC 9110 token)';
  const lower = name.toLowerCase();
  if (FORBIDDEN_HEADERS.has(lower) || lower.startsWith('x-forwarded-')) {
    return `cannot be ${name}: the proxy removes or recomputes this header (P5, RFC 9110 §7.6.1)`;
  }
  return null;
}

function urlProblems(url: string, path: string, allow: { templates: boolean; query: boolean }): Problem[] {
  const problem = (message: string): Problem[] => [{ path, message }];
  if (/[\s\u0000-\u001f\u007f\\]/.test(url)) return problem('must not contain spaces, control characters or backslashes');
  if (!allow.templates && url.includes('{{')) return problem('cannot contain {{templates}}: only proxy_url can');
  const filled = url.replace(TEMPLATE, 'tpl');
  if (/[{}]/.test(filled)) return problem('has a malformed template: write {{field_name}}');
  let parsed: URL;
  try {
    parsed = new URL(filled);
  } catch {
    return problem('is not a valid URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return problem('must be an http:// or https:// URL (P17)');
  if (parsed.username !== '' || parsed.password !== '') return problem('must not contain user:password@ credentials');
  // RFC 6749 §3.1: endpoint URIs MUST NOT include a fragment; a fragment is meaningless upstream anyway.
  if (parsed.hash !== '' || url.includes('#')) return problem('must not contain a #fragment');
  if (!allow.query && parsed.search !== '') return problem('must not contain a ?query: send query parameters with each request');
  return [];
}

function templateProblems(proxyUrl: string, { index, type, pattern }: TypedPattern): Problem[] {
  let names: string[];
  try {
    names = templateFields(proxyUrl);
  } catch (error) {
    // template.ts throws CONNECTOR_INVALID with its problems in details.
    if (isToolproxyError(error) && Array.isArray(error.details)) return error.details as Problem[];
    return [{ path: '/proxy_url', message: error instanceof Error ? error.message : 'has an invalid template' }];
  }
  const listName = type === 'OAUTH' ? 'account_fields' : 'fields';
  const fields = new Map(records(pattern[listName]).map((field) => [field['field_name'], field]));
  const credentialNames = type === 'OAUTH' ? ['access_token', 'refresh_token'] : INJECTED_FIELD_NAMES[type];
  const problems: Problem[] = [];
  for (const name of new Set(names)) {
    const field = fields.get(name);
    let message: string | null = null;
    if (credentialNames.includes(name)) {
      message = `{{${name}}} would put the credential into the URL (and into logs); use a separate text field`;
    } else if (!field) {
      message = `{{${name}}} names no field of auth_patterns/${index}; declare it in ${listName} with input_type "text"`;
    } else if (field['input_type'] !== 'text') {
      message = `{{${name}}} uses a password field; template values are not secret, so ${name} must have input_type "text"`;
    }
    if (message) problems.push({ path: '/proxy_url', message });
  }
  return problems;
}

function patternProblems(typed: TypedPattern): Problem[] {
  const base = `/auth_patterns/${typed.index}`;
  return [
    ...fieldNameProblems(typed, base),
    ...schemeFieldProblems(typed, base),
    ...mutationProblems(typed, base),
    ...headerProblems(typed, base),
    ...verifyProblems(typed.pattern['verify'], `${base}/verify`),
    ...oauthConfigProblems(typed, base),
  ];
}

function fieldNameProblems({ pattern }: TypedPattern, base: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<unknown>();
  for (const listName of ['fields', 'account_fields']) {
    const list = pattern[listName];
    if (!Array.isArray(list)) continue;
    list.forEach((field: unknown, i) => {
      if (!isRecord(field) || typeof field['field_name'] !== 'string') return;
      const name = field['field_name'];
      const path = `${base}/${listName}/${i}/field_name`;
      if (RESERVED_FIELD_NAMES.has(name)) problems.push({ path, message: `${name} is a reserved name` });
      else if (seen.has(name)) problems.push({ path, message: `repeats the field name ${name}; field names must be unique` });
      seen.add(name);
    });
  }
  return problems;
}

function schemeFieldProblems({ type, pattern }: TypedPattern, base: string): Problem[] {
  const fields = pattern['fields'];
  if (!Array.isArray(fields) || type === 'OAUTH') return [];
  const names = new Set(records(fields).map((field) => field['field_name']));
  const path = `${base}/fields`;
  const need = (name: string, why: string): Problem[] =>
    names.has(name) ? [] : [{ path, message: `${type} patterns need a field named ${name} (${why})` }];
  if (type === 'API_KEY') return need('api_key', 'the key the end user enters');
  if (type === 'BEARER') {
    if (names.has('token') && names.has('bearer_token')) {
      return [{ path, message: 'declare token or bearer_token, not both' }];
    }
    return names.has('bearer_token') ? [] : need('token', 'the token the end user enters');
  }
  const mutations = isRecord(pattern['auth_field_mutations']) ? pattern['auth_field_mutations'] : {};
  const passwordMutation = mutations['password'];
  const passwordDefault = isRecord(passwordMutation) && typeof passwordMutation['default'] === 'string';
  return [
    ...need('username', 'the user-id of Basic auth'),
    ...(passwordDefault ? [] : need('password', 'or give auth_field_mutations.password.default, as Freshdesk does with "X"')),
  ];
}

function mutationProblems({ type, pattern }: TypedPattern, base: string): Problem[] {
  const mutations = pattern['auth_field_mutations'];
  if (!isRecord(mutations)) return [];
  const allowed =
    type === 'BEARER' ? [bearerTokenField({ fields: records(pattern['fields']) })] : INJECTED_FIELD_NAMES[type];
  const problems: Problem[] = [];
  for (const [name, mutation] of Object.entries(mutations)) {
    const path = `${base}/auth_field_mutations/${escapePointer(name)}`;
    if (!allowed.includes(name)) {
      const message =
        allowed.length === 0
          ? `${type} patterns take no auth_field_mutations`
          : `is not a credential field of a ${type} pattern; mutations apply to: ${allowed.join(', ')}`;
      problems.push({ path, message });
      continue;
    }
    // RFC 7617 §2: a colon in the user-id would split it.
    if (type === 'BASIC' && name === 'username' && isRecord(mutation)) {
      for (const [key, text] of Object.entries(mutation)) {
        if (typeof text === 'string' && text.includes(':')) {
          problems.push({ path: `${path}/${escapePointer(key)}`, message: 'must not contain ":" (RFC 7617 §2)' });
        }
      }
    }
  }
  return problems;
}

function headerProblems({ type, pattern }: TypedPattern, base: string): Problem[] {
  const problems: Problem[] = [];
  const override = pattern['auth_header_key_override'];
  if (typeof override === 'string' && HEADER_TOKEN.test(override)) {
    const message = headerNameProblem(override);
    if (message) problems.push({ path: `${base}/auth_header_key_override`, message });
  }
  const queryParam = type === 'API_KEY' ? pattern['auth_query_param'] : undefined;
  if (typeof queryParam === 'string' && override !== undefined) {
    problems.push({ path: `${base}/auth_query_param`, message: 'set either auth_query_param or auth_header_key_override, not both' });
  }
  const statics = pattern['static_headers'];
  if (!isRecord(statics)) return problems;
  const credentialHeader = queryParam === undefined ? (typeof override === 'string' ? override : 'authorization').toLowerCase() : null;
  const seen = new Set<string>();
  for (const name of Object.keys(statics)) {
    const path = `${base}/static_headers/${escapePointer(name)}`;
    const lower = name.toLowerCase();
    const message =
      headerNameProblem(name) ??
      (lower === credentialHeader ? `would override the credential header ${lower}` : null) ??
      (seen.has(lower) ? `repeats the header ${lower} (header names are case-insensitive)` : null);
    if (message) problems.push({ path, message });
    seen.add(lower);
  }
  return problems;
}

function verifyProblems(verify: unknown, base: string): Problem[] {
  if (!isRecord(verify) || typeof verify['path'] !== 'string' || !verify['path'].startsWith('/')) return [];
  const path = verify['path'];
  const problem = (message: string): Problem[] => [{ path: `${base}/path`, message }];
  if (path.startsWith('//')) return problem('must not start with // (that names another host)');
  if (/[\s\u0000-\u001f\u007f\\#]/.test(path)) return problem('must not contain spaces, control characters, backslashes or #');
  if (path.includes('{{')) return problem('cannot contain {{templates}}');
  const segments = path.split('?')[0]!.split('/').map((segment) => segment.replace(/%2e/gi, '.'));
  if (segments.some((segment) => segment === '.' || segment === '..')) return problem('must not contain . or .. segments (P1)');
  return [];
}

function oauthConfigProblems({ type, pattern }: TypedPattern, base: string): Problem[] {
  const config = pattern['oauth_config'];
  if (type !== 'OAUTH' || !isRecord(config)) return [];
  const problems: Problem[] = [];
  if (typeof config['issuer'] !== 'string') {
    for (const key of ['authorize_uri', 'token_uri']) {
      if (config[key] === undefined) {
        problems.push({ path: `${base}/oauth_config/${key}`, message: 'is required, or give issuer: the endpoints are then discovered from its metadata (RFC 8414)' });
      }
    }
  }
  for (const key of ['authorize_uri', 'token_uri', 'user_info_uri', 'revoke_uri']) {
    const url = config[key];
    if (typeof url === 'string' && /^https?:\/\//.test(url)) {
      problems.push(...urlProblems(url, `${base}/oauth_config/${key}`, { templates: false, query: true }));
    }
  }
  const scopes = Array.isArray(config['available_scopes']) ? (config['available_scopes'] as unknown[]) : [];
  const seen = new Set<string>();
  scopes.forEach((scope, i) => {
    if (!isRecord(scope) || typeof scope['scope'] !== 'string') return;
    if (seen.has(scope['scope'])) {
      problems.push({ path: `${base}/oauth_config/available_scopes/${i}/scope`, message: 'repeats a scope listed above' });
    }
    seen.add(scope['scope']);
  });
  return problems;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
