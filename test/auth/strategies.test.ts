import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  credentialFields,
  defaultHeaders,
  injectCredentials,
  injectedHeaderNames,
  injectedQueryNames,
  strategyFor,
  validateCredentials,
} from '../../src/auth/index.ts';
import type { AuthPattern } from '../../src/connectors/definition-schema.ts';
import { assertValidDefinition } from '../../src/connectors/validate-definition.ts';
import { isToolproxyError } from '../../src/errors.ts';
import { asana, freshdesk, klaviyo, pythonSdkBearer, zendesk } from '../connectors/reference-definitions.ts';

const patternOf = (definition: unknown): AuthPattern => assertValidDefinition(definition).auth_patterns[0]!;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

const apiKey = (extra: Record<string, unknown> = {}) =>
  patternOf({
    display_name: 'Acme',
    proxy_url: 'https://api.acme.example',
    auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', input_type: 'password', required: true }], ...extra }],
  });

function assertInvalidField(fn: () => unknown, secret: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isToolproxyError(error));
    assert.equal(error.code, 'INVALID_FIELD');
    const text = JSON.stringify(error.toBody()) + error.message;
    assert.equal(text.includes(secret), false, 'the error must not contain the secret');
    return true;
  });
}

describe('injection', () => {
  test('Freshdesk: Basic with the API key as user-id and the default password X', () => {
    const injection = injectCredentials(patternOf(freshdesk()), { domain: 'acme.freshdesk.com', username: 'fd-key' });
    assert.deepEqual(injection, { headers: { authorization: basic('fd-key', 'X') }, query: {} });
  });

  test('Zendesk: the /token suffix is added to the user-id before encoding', () => {
    const injection = injectCredentials(patternOf(zendesk()), { subdomain: 'acme', username: 'me@acme.example', password: 'zd-token' });
    assert.equal(injection.headers['authorization'], basic('me@acme.example/token', 'zd-token'));
  });

  test('Basic encodes UTF-8 (RFC 7617 §2.1) and allows an empty password', () => {
    const pattern = patternOf({ ...zendesk(), auth_patterns: [{ ...zendesk().auth_patterns[0]!, auth_field_mutations: {} }] });
    assert.equal(injectCredentials(pattern, { username: 'jörg', password: '' }).headers['authorization'], basic('jörg', ''));
  });

  test('Klaviyo: prefixed key in x-api-key, nothing in Authorization', () => {
    const injection = injectCredentials(patternOf(klaviyo()), { api_key: 'pk_live_123' });
    assert.deepEqual(injection, { headers: { 'x-api-key': 'Klaviyo-API-Key pk_live_123' }, query: {} });
  });

  test('API key: raw in Authorization by default; override header names are lower-cased', () => {
    assert.deepEqual(injectCredentials(apiKey(), { api_key: 'k1' }).headers, { authorization: 'k1' });
    assert.deepEqual(injectCredentials(apiKey({ auth_header_key_override: 'X-Api-Key' }), { api_key: 'k1' }).headers, { 'x-api-key': 'k1' });
  });

  test('API key in a query parameter (ext): no credential header', () => {
    const pattern = apiKey({ auth_query_param: 'api_key', static_headers: { Accept: 'application/json' } });
    assert.deepEqual(injectCredentials(pattern, { api_key: 'k&1 2' }), { headers: {}, query: { api_key: 'k&1 2' } });
    assert.deepEqual(injectedHeaderNames(pattern), []);
    assert.deepEqual(injectedQueryNames(pattern), ['api_key']);
  });

  test('Bearer: Authorization: Bearer <token>, with mutations first', () => {
    assert.deepEqual(injectCredentials(patternOf(pythonSdkBearer()), { token: 'lin_123' }).headers, { authorization: 'Bearer lin_123' });
    const aliased = pythonSdkBearer();
    aliased.auth_patterns[0]!.fields[0]!.field_name = 'bearer_token';
    assert.deepEqual(injectCredentials(patternOf(aliased), { bearer_token: 't' }).headers, { authorization: 'Bearer t' });
  });

  test('OAuth: the access token as a Bearer token', () => {
    const pattern = patternOf(asana());
    assert.deepEqual(injectCredentials(pattern, { access_token: 'at', refresh_token: 'rt' }), { headers: { authorization: 'Bearer at' }, query: {} });
    assert.deepEqual(credentialFields(pattern), ['access_token', 'refresh_token']);
  });

  test('static headers (ext) are defaults apart from the credential: only the credential header is taken from the caller', () => {
    const pattern = apiKey({ auth_header_key_override: 'x-api-key', static_headers: { Accept: 'application/json', 'X-Version': '2' } });
    assert.deepEqual(injectCredentials(pattern, { api_key: 'k' }).headers, { 'x-api-key': 'k' });
    assert.deepEqual(defaultHeaders(pattern), { accept: 'application/json', 'x-version': '2' });
    assert.deepEqual(injectedHeaderNames(pattern), ['x-api-key']);
    assert.deepEqual(defaultHeaders(apiKey()), {});
  });

  test('refuses a stored value with CR/LF instead of injecting a header (P6)', () => {
    assertInvalidField(() => injectCredentials(apiKey(), { api_key: 'sk_1\r\nX-Evil: 1' }), 'sk_1');
    assertInvalidField(() => injectCredentials(patternOf(pythonSdkBearer()), { token: 'tok_2\nx' }), 'tok_2');
    assertInvalidField(() => injectCredentials(apiKey({ auth_query_param: 'k' }), { api_key: 'sk_3\u0000b' }), 'sk_3');
    assertInvalidField(() => injectCredentials(patternOf(zendesk()), { username: 'user_4\r\n', password: 'p' }), 'user_4');
  });

  test('refuses a missing credential without echoing anything', () => {
    assertInvalidField(() => injectCredentials(apiKey(), {}), 'api_key-value');
    assertInvalidField(() => injectCredentials(patternOf(asana()), { refresh_token: 'rt-secret' }), 'rt-secret');
    assertInvalidField(() => injectCredentials(patternOf(zendesk()), { username: 'user_5:x', password: 'p' }), 'user_5');
  });

  test('never puts CR, LF or NUL into a header, whatever the stored values', () => {
    const patterns = [apiKey(), patternOf(klaviyo()), patternOf(pythonSdkBearer()), patternOf(zendesk()), patternOf(freshdesk())];
    fc.assert(
      fc.property(fc.constantFrom(...patterns), fc.string(), fc.string(), (pattern, a, b) => {
        let headers: Record<string, string>;
        try {
          headers = injectCredentials(pattern, { api_key: a, token: a, username: a, password: b }).headers;
        } catch (error) {
          return isToolproxyError(error) && error.code === 'INVALID_FIELD';
        }
        return Object.values(headers).every((value) => !/[\r\n\u0000]/.test(value));
      }),
    );
  });
});

describe('credential fields and header names', () => {
  test('lists the fields stored encrypted: scheme fields plus password inputs', () => {
    assert.deepEqual(credentialFields(patternOf(klaviyo())), ['api_key']);
    assert.deepEqual(credentialFields(patternOf(freshdesk())), ['username', 'password']);
    assert.deepEqual(credentialFields(patternOf(pythonSdkBearer())), ['token']);
  });

  test('names the headers the proxy must strip from callers, lower-case (P7)', () => {
    assert.deepEqual(injectedHeaderNames(patternOf(klaviyo())), ['x-api-key']);
    assert.deepEqual(injectedHeaderNames(patternOf(freshdesk())), ['authorization']);
    assert.deepEqual(injectedHeaderNames(patternOf(asana())), ['authorization']);
    assert.deepEqual(injectedQueryNames(patternOf(klaviyo())), []);
  });

  test('strategyFor returns the strategy of each type and refuses an unknown one', () => {
    for (const type of ['API_KEY', 'BASIC', 'BEARER', 'OAUTH'] as const) assert.equal(strategyFor(type).type, type);
    assert.throws(() => strategyFor('DIGEST' as 'BASIC'), { code: 'CONNECTOR_INVALID' });
    assert.throws(() => strategyFor('toString' as 'BASIC'), { code: 'CONNECTOR_INVALID' });
  });
});

describe('validateCredentials', () => {
  test('accepts good values', () => {
    assert.deepEqual(validateCredentials(patternOf(freshdesk()), { domain: 'acme.freshdesk.com', username: 'key' }), []);
    assert.deepEqual(validateCredentials(patternOf(zendesk()), { subdomain: 'acme', username: 'me@acme.example', password: 'p' }), []);
  });

  test('lists every problem: missing, empty, unknown, non-string, too long, control characters', () => {
    const pattern = patternOf(zendesk());
    const problems = validateCredentials(pattern, { subdomain: 'x'.repeat(4097), username: '', password: 'a\r\nb', extra: 'x' });
    assert.deepEqual(problems, [
      { path: '/extra', message: 'is not a field of this connector' },
      { path: '/subdomain', message: 'must be at most 4096 characters' },
      { path: '/username', message: 'is required' },
      { path: '/password', message: 'must not contain control characters (CR, LF, NUL, tab …)' },
    ]);
    assert.deepEqual(validateCredentials(pattern, { subdomain: 'acme', username: 7, password: 'p' } as never), [
      { path: '/username', message: 'must be a string' },
    ]);
  });

  test('requires the scheme field even when the definition left required false', () => {
    assert.deepEqual(validateCredentials(patternOf(pythonSdkBearer()), {}), [{ path: '/token', message: 'is required' }]);
  });

  test('does not require a field that has a mutation default', () => {
    const pattern = patternOf({
      ...freshdesk(),
      auth_patterns: [{ ...freshdesk().auth_patterns[0]!, fields: [...freshdesk().auth_patterns[0]!.fields, { field_name: 'password', input_type: 'password', required: true }] }],
    });
    assert.deepEqual(validateCredentials(pattern, { domain: 'a', username: 'k' }), []);
  });

  test('refuses a ":" in a Basic user-id (RFC 7617 §2)', () => {
    assert.deepEqual(validateCredentials(patternOf(zendesk()), { subdomain: 'acme', username: 'a:b', password: 'p' }), [
      { path: '/username', message: 'must not contain ":" (RFC 7617 §2)' },
    ]);
  });

  test('requires printable ASCII for values sent in a header, but not in a query parameter', () => {
    assert.deepEqual(validateCredentials(apiKey(), { api_key: 'clé' }), [
      { path: '/api_key', message: 'must contain only printable ASCII characters: it is sent in an HTTP header (RFC 9110 §5.5)' },
    ]);
    assert.deepEqual(validateCredentials(apiKey({ auth_query_param: 'key' }), { api_key: 'clé' }), []);
  });

  test('never repeats a submitted value in a problem', () => {
    const secret = 'sk_live_\r\nSECRET';
    const problems = validateCredentials(apiKey(), { api_key: secret });
    assert.equal(problems.length, 1);
    assert.doesNotMatch(JSON.stringify(problems), /SECRET/);
  });
});
