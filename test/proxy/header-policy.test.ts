import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isToolproxyError } from '../../src/errors.ts';
import {
  assertProxyMethod,
  assertValidHeaders,
  forwardableRequestHeaders,
  forwardableResponseHeaders,
} from '../../src/proxy/header-policy.ts';

const HOP_BY_HOP = ['Connection', 'Keep-Alive', 'Proxy-Connection', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade', 'HTTP2-Settings'];
const REQUEST_DROPPED = [
  ...HOP_BY_HOP, 'Host', 'Expect', 'Content-Length', 'Authorization', 'Proxy-Authorization', 'Cookie', 'Forwarded',
  'X-Forwarded-For', 'X-Forwarded-Host', 'X-Forwarded-Proto', 'X-Forwarded-Uri', 'X-Real-IP', 'Via',
  'connection_name', 'connection-name', 'identifier',
];

function invalidHeaderDetails(fn: () => unknown): { reason: string; header?: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(isToolproxyError(error));
    assert.equal(error.code, 'INVALID_HEADER');
    assert.equal(error.statusCode, 400);
    return error.details as { reason: string; header?: string };
  }
  assert.fail('expected INVALID_HEADER');
}

function randomCase(name: string, seed: number): string {
  return [...name].map((c, i) => ((seed >> (i % 30)) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');
}

describe('forwardableRequestHeaders (P5, P7)', () => {
  for (const name of REQUEST_DROPPED) {
    test(`drops ${name} from the caller's request`, () => {
      const out = forwardableRequestHeaders({ [name]: 'x', accept: 'application/json' });
      assert.deepEqual(out, { accept: 'application/json' });
    });
  }

  test('drops every header named in Connection, with the Connection header itself', () => {
    const out = forwardableRequestHeaders({ connection: 'keep-alive, X-Secret', 'x-secret': 's', 'X-Other': 'o' });
    assert.deepEqual(out, { 'x-other': 'o' });
  });

  test('reads Connection options from every case variant and from arrays', () => {
    const out = forwardableRequestHeaders({
      CONNECTION: ['x-a', ' X-B ,, '], Connection: 'X-C', 'X-A': '1', 'x-b': '2', 'x-c': '3', 'x-d': '4',
    });
    assert.deepEqual(out, { 'x-d': '4' });
  });

  test('drops our own per-call options (x-toolproxy-*) in any casing', () => {
    const out = forwardableRequestHeaders({ 'x-toolproxy-retries': '3', 'X-Toolproxy-Retry-Post': 'true', 'x-toolproxy': 'kept', accept: '*/*' });
    assert.deepEqual(out, { 'x-toolproxy': 'kept', accept: '*/*' });
  });

  test('drops a caller Host such as evil.example (undici would send it as is)', () => {
    assert.deepEqual(forwardableRequestHeaders({ host: 'evil.example', HOST: 'evil.example' }), {});
  });

  test('drops HTTP/2 pseudo-headers from an h2 inbound request', () => {
    assert.deepEqual(forwardableRequestHeaders({ ':authority': 'us', ':path': '/proxy/x', ':method': 'GET', accept: '*/*' }), { accept: '*/*' });
  });

  test('P7: drops the names the connector injects, case-insensitively, so injection cannot be overridden', () => {
    const out = forwardableRequestHeaders(
      { 'x-api-key': 'attacker', 'X-API-KEY': 'attacker', 'X-Api-Key': 'attacker', authorization: 'Bearer attacker', 'x-keep': 'k' },
      ['X-API-Key'],
    );
    assert.deepEqual(out, { 'x-keep': 'k' });
  });

  test('keeps ordinary headers with their values unchanged and names lower-cased', () => {
    const out = forwardableRequestHeaders({
      Accept: 'application/json', 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'sdk/1.0',
      'Idempotency-Key': 'abc', 'X-Custom': ['a', 'b'], ignored: undefined, empty: [],
    });
    assert.deepEqual(out, {
      accept: 'application/json', 'content-type': 'application/json; charset=utf-8', 'user-agent': 'sdk/1.0',
      'idempotency-key': 'abc', 'x-custom': ['a', 'b'],
    });
  });

  test('keeps a header named __proto__ as an ordinary own property', () => {
    const out = forwardableRequestHeaders(JSON.parse('{"__proto__": ["x"], "accept": "a"}'));
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.entries(out), [['__proto__', 'x'], ['accept', 'a']]);
  });

  test('merges case variants of one name so both cannot reach the wire (P6)', () => {
    assert.deepEqual(forwardableRequestHeaders({ 'X-A': '1', 'x-a': ['2', '3'] }), { 'x-a': ['1', '2', '3'] });
  });

  test('property: no dropped name survives, in any casing, and nothing is invented', () => {
    const injected = ['x-api-key', 'x-injected-secret'];
    const droppedName = fc.tuple(fc.constantFrom(...REQUEST_DROPPED, ...injected, 'x-forwarded-port', 'x-listed'), fc.nat())
      .map(([name, seed]) => randomCase(name, seed));
    const keptName = fc.constantFrom('accept', 'x-custom', 'content-type', 'x-request-id', 'x-forwarder', 'identifiers');
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }));
    fc.assert(fc.property(fc.dictionary(fc.oneof(droppedName, keptName), value), fc.boolean(), (headers, listX) => {
      if (listX) headers[randomCase('connection', 7)] = 'close, X-Listed';
      const out = forwardableRequestHeaders(headers, injected.map((n) => n.toUpperCase()));
      const dropped = new Set([...REQUEST_DROPPED, ...injected].map((n) => n.toLowerCase()));
      for (const name of Object.keys(out)) {
        assert.equal(name, name.toLowerCase());
        assert.ok(!dropped.has(name) && !name.startsWith('x-forwarded-'), `${name} survived`);
        if (listX) assert.notEqual(name, 'x-listed');
        assert.ok(Object.keys(headers).some((n) => n.toLowerCase() === name));
      }
    }), { numRuns: 2000 });
  });
});

describe('forwardableResponseHeaders (P15)', () => {
  for (const name of [...HOP_BY_HOP, 'Proxy-Authenticate']) {
    test(`drops ${name} from the upstream response`, () => {
      assert.deepEqual(forwardableResponseHeaders({ [name]: 'x', 'content-type': 'text/plain' }), { 'content-type': 'text/plain' });
    });
  }

  test('drops Connection: close, X-Internal together with X-Internal', () => {
    assert.deepEqual(forwardableResponseHeaders({ connection: 'close, X-Internal', 'x-internal': '1', etag: '"v1"' }), { etag: '"v1"' });
  });

  test('keeps Content-Length, Set-Cookie, Location and everything else unchanged', () => {
    const upstream = {
      'content-length': '12', 'set-cookie': ['a=1; HttpOnly', 'b=2'], location: 'https://elsewhere.example/x',
      'www-authenticate': 'Bearer realm="api"', 'x-ratelimit-remaining': '9', 'retry-after': '3',
    };
    assert.deepEqual(forwardableResponseHeaders(upstream), upstream);
  });

  test('property: no hop-by-hop name survives in any casing', () => {
    const name = fc.tuple(fc.constantFrom(...HOP_BY_HOP, 'Proxy-Authenticate', 'etag', 'x-listed', 'vary'), fc.nat())
      .map(([n, seed]) => randomCase(n, seed));
    fc.assert(fc.property(fc.dictionary(name, fc.string({ maxLength: 5 })), (headers) => {
      headers.Connection = 'x-listed';
      const out = forwardableResponseHeaders(headers);
      for (const key of Object.keys(out)) assert.ok(['etag', 'vary'].includes(key), `${key} survived`);
    }), { numRuns: 1000 });
  });
});

describe('assertValidHeaders (P6)', () => {
  test('accepts ordinary names and values, including obs-text, tabs and arrays', () => {
    assert.doesNotThrow(() => assertValidHeaders({
      Accept: 'application/json', "x-!#$%&'*+-.^_`|~09": 'a\tb c', 'x-latin1': 'caf\u00e9', 'x-many': ['1', '2'], 'x-none': undefined,
    }));
  });

  for (const [label, value] of [
    ['CR LF', 'b\r\nX-Injected: 1'], ['LF', 'b\nX'], ['CR', 'b\rX'], ['NUL', 'b\x00'], ['another control character', 'b\x01'],
    ['DEL', 'b\x7f'], ['a character above U+00FF', 'b\u0100'], ['an emoji', '\u{1f600}'],
  ] as const) {
    test(`refuses a value with ${label} without echoing the value`, () => {
      const details = invalidHeaderDetails(() => assertValidHeaders({ 'X-A': value }));
      assert.deepEqual(details, { reason: 'invalid_value', header: 'X-A' });
    });
  }

  test('refuses a bad value inside an array', () => {
    assert.equal(invalidHeaderDetails(() => assertValidHeaders({ 'x-a': ['ok', 'bad\r\n'] })).reason, 'invalid_value');
  });

  for (const name of ['', 'X A', 'X:A', 'X-A\r\nX-B', 'x\u00e9', '(x)', 'x/y', 'x"y', 'x\x00']) {
    test(`refuses header name ${JSON.stringify(name)} outside the token grammar`, () => {
      const details = invalidHeaderDetails(() => assertValidHeaders({ [name]: 'v' }));
      assert.equal(details.reason, 'invalid_name');
      assert.doesNotMatch(details.header ?? '', /[\r\n\x00]/);
    });
  }

  for (const value of [1, true, null, { a: 1 }, [1]]) {
    test(`refuses a value of type ${JSON.stringify(value)}`, () => {
      assert.equal(invalidHeaderDetails(() => assertValidHeaders({ 'x-a': value })).reason, 'invalid_value_type');
    });
  }

  test('refuses two case variants of one name, e.g. Content-Length twice (CVE-2026-1525 class)', () => {
    const details = invalidHeaderDetails(() => assertValidHeaders({ 'Content-Length': '1', 'content-length': '100' }));
    assert.equal(details.reason, 'duplicate_name');
  });

  test('property: accepted values never contain CR, LF or NUL', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (value) => {
      try {
        assertValidHeaders({ 'x-a': value });
      } catch (error) {
        return isToolproxyError(error) && error.code === 'INVALID_HEADER';
      }
      return !/[\r\n\x00]/.test(value);
    }), { numRuns: 2000 });
  });
});

describe('assertProxyMethod (P18)', () => {
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'get', 'Patch']) {
    test(`allows ${method}`, () => {
      assert.equal(assertProxyMethod(method), method.toUpperCase());
    });
  }

  for (const method of ['CONNECT', 'TRACE', 'TRACK', 'PROPFIND', 'GET ', 'G\u0130T', 'GET\r\n', '', 'DELETE\u0131']) {
    test(`refuses ${JSON.stringify(method)}`, () => {
      try {
        assertProxyMethod(method);
        assert.fail('expected INVALID_METHOD');
      } catch (error) {
        assert.ok(isToolproxyError(error));
        assert.equal(error.code, 'INVALID_METHOD');
      }
    });
  }
});
