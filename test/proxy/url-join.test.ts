import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isToolproxyError } from '../../src/errors.ts';
import { checkedJoin, joinUpstreamUrl, parseProxyBase, type UpstreamTarget, withInjectedQuery } from '../../src/proxy/url-join.ts';

const API: UpstreamTarget = { origin: 'https://api.acme.example', basePath: '/api' };
const ROOT: UpstreamTarget = { origin: 'https://api.acme.example', basePath: '' };
const TARGETS = [API, ROOT, parseProxyBase('http://127.0.0.1:8080/v2/base'), parseProxyBase('https://[::1]:8443')];

function refusalOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isToolproxyError(error), `expected a ToolproxyError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_PATH');
    assert.equal(error.statusCode, 400);
    return (error.details as { reason: string }).reason;
  }
  assert.fail('expected INVALID_PATH');
}

function templateErrorReason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isToolproxyError(error));
    assert.equal(error.code, 'CONNECTOR_TEMPLATE_ERROR');
    return (error.details as { reason: string }).reason;
  }
  assert.fail('expected CONNECTOR_TEMPLATE_ERROR');
}

describe('parseProxyBase (P17)', () => {
  test('splits a proxy_url into origin and base path without trailing slash', () => {
    assert.deepEqual(parseProxyBase('https://api.acme.example/api'), API);
    assert.deepEqual(parseProxyBase('https://api.acme.example/api/'), API);
    assert.deepEqual(parseProxyBase('https://api.acme.example'), ROOT);
    assert.deepEqual(parseProxyBase('https://api.acme.example/'), ROOT);
  });

  test('normalises host case and drops the default port', () => {
    assert.deepEqual(parseProxyBase('https://API.Acme.example:443/V1'), { origin: 'https://api.acme.example', basePath: '/V1' });
    assert.deepEqual(parseProxyBase('http://127.0.0.1:8080/x'), { origin: 'http://127.0.0.1:8080', basePath: '/x' });
  });

  for (const [url, reason] of [
    ['file:///etc/passwd', 'scheme'],
    ['ftp://files.acme.example/', 'scheme'],
    ['ws://api.acme.example/', 'scheme'],
    ['data:text/plain,hi', 'scheme'],
    ['https://user:pass@api.acme.example/', 'userinfo'],
    ['https://@api.acme.example/', 'userinfo'],
    ['https://api.acme.example/api?', 'query'],
    ['https://api.acme.example/api?key=1', 'query'],
    ['https://api.acme.example/api#', 'fragment'],
    ['https://api.acme.example/#x', 'fragment'],
    ['not a url', 'not_a_url'],
    [' https://api.acme.example', 'not_a_url'],
    ['https://api.acme.example/a\tb', 'not_a_url'],
  ] as const) {
    test(`refuses proxy_url ${JSON.stringify(url)} (${reason})`, () => {
      assert.equal(templateErrorReason(() => parseProxyBase(url)), reason);
    });
  }
});

describe('joinUpstreamUrl: checklist §5.1 fixtures (P1)', () => {
  test('keeps the base path that new URL(path, base) would drop', () => {
    assert.equal(joinUpstreamUrl(API, '/v1/customers'), 'https://api.acme.example/api/v1/customers');
  });

  for (const [path, reason] of [
    ['//evil.example/x', 'scheme_relative'],
    ['http://evil.example/x', 'absolute_url'],
    ['HTTPS://evil.example/x', 'absolute_url'],
    ['javascript:alert(1)', 'absolute_url'],
    ['mailto:x@evil.example', 'absolute_url'],
    ['\\\\evil.example/x', 'backslash'],
    ['/\\evil.example/x', 'backslash'],
    ['/%2e%2e/admin', 'dot_segment'],
    ['/v1/c\tus\ntomers', 'control_character'],
  ] as const) {
    test(`refuses ${JSON.stringify(path)} under a base path (${reason})`, () => {
      assert.equal(refusalOf(() => joinUpstreamUrl(API, path)), reason);
    });
  }

  // Without a base path, naive concatenation would change the host.
  for (const [path, reason] of [
    ['@evil.example/x', 'leading_at'],
    ['.evil.example/x', 'missing_leading_slash'],
    [':1@evil.example/x', 'missing_leading_slash'],
    ['evil.example/x', 'missing_leading_slash'],
    ['//evil.example/x', 'scheme_relative'],
  ] as const) {
    test(`refuses ${JSON.stringify(path)} that would change the host of a bare origin (${reason})`, () => {
      assert.equal(refusalOf(() => joinUpstreamUrl(ROOT, path)), reason);
    });
  }
});

describe('joinUpstreamUrl: refusals (P1)', () => {
  const dotSegments = [
    '/.', '/..', '/a/./b', '/a/../b', '/a/..', '/%2e', '/%2E', '/%2e%2e', '/%2E%2E/x', '/.%2e/x', '/%2e./x',
    '/.%2E', '/a/..;/b', '/a/.%2e;jsessionid=1/b', '/a/..%3bx/b', '/a%2f..%2fb', '/a%2F%2e%2e%2Fb', '/..?x=1',
  ];
  for (const path of dotSegments) {
    test(`refuses dot segment ${JSON.stringify(path)}`, () => {
      assert.equal(refusalOf(() => joinUpstreamUrl(API, path)), 'dot_segment');
    });
  }

  for (const [path, reason] of [
    ['/a%5cb', 'backslash'],
    ['/a%5Cb', 'backslash'],
    ['/a%00b', 'encoded_control_character'],
    ['/a%0d%0aSet-Cookie:%20x=1', 'encoded_control_character'],
    ['/a%0Ab', 'encoded_control_character'],
    ['/a\x00b', 'control_character'],
    ['/a\x7fb', 'control_character'],
    ['/a\r\nHost: evil.example', 'control_character'],
    ['/a?x=1\r\n', 'control_character'],
    ['/a#frag', 'fragment'],
    ['/a?x=1#frag', 'fragment'],
    ['#', 'fragment'],
    ['a/b', 'missing_leading_slash'],
    ['/a\ud800b', 'invalid_character'],
  ] as const) {
    test(`refuses ${JSON.stringify(path)} (${reason})`, () => {
      assert.equal(refusalOf(() => joinUpstreamUrl(API, path)), reason);
    });
  }

  test('refuses a hand-built target that is not canonical instead of sending different bytes', () => {
    assert.equal(refusalOf(() => joinUpstreamUrl({ origin: 'https://API.acme.example', basePath: '/api' }, '/x')), 'escapes_base');
  });
});

describe('joinUpstreamUrl: pass-through', () => {
  for (const path of ['/v1/customers?limit=3&x=%20y', '/users/@me', '/a%2Fb', '/a%2fb', '/...', '/a.b/c..d/.e', '/x;v=1',
    "/a!$&'()*+,;=:b", '/a%zz', '/%25%32%65', '/a//b', '/a?b?c=/d/../e', '/a?redirect=http://evil.example/', '/a?x=%0A%00']) {
    test(`passes ${JSON.stringify(path)} byte-exact`, () => {
      assert.equal(joinUpstreamUrl(API, path), `https://api.acme.example/api${path}`);
    });
  }

  test('an empty path means the base itself', () => {
    assert.equal(joinUpstreamUrl(API, ''), 'https://api.acme.example/api');
    assert.equal(joinUpstreamUrl(ROOT, ''), 'https://api.acme.example/');
    assert.equal(joinUpstreamUrl(API, '/'), 'https://api.acme.example/api/');
  });

  test('a bare query applies to the base', () => {
    assert.equal(joinUpstreamUrl(API, '?page=2'), 'https://api.acme.example/api?page=2');
    assert.equal(joinUpstreamUrl(ROOT, '?page=2'), 'https://api.acme.example/?page=2');
  });

  test('P2: template syntax in the path reaches the upstream literally, percent-encoded', () => {
    assert.equal(joinUpstreamUrl(API, '/x/{{credentials.refresh_token}}'), 'https://api.acme.example/api/x/%7B%7Bcredentials.refresh_token%7D%7D');
    assert.equal(joinUpstreamUrl(API, '/x/${refresh_token}'), 'https://api.acme.example/api/x/$%7Brefresh_token%7D');
    assert.equal(joinUpstreamUrl(API, '/x/%7B%7Btoken%7D%7D'), 'https://api.acme.example/api/x/%7B%7Btoken%7D%7D');
    assert.equal(joinUpstreamUrl(API, '/x?q={{token}}'), 'https://api.acme.example/api/x?q={{token}}');
  });

  test('encodes what undici would refuse and WHATWG would encode, as UTF-8', () => {
    assert.equal(joinUpstreamUrl(API, '/caf\u00e9 au lait'), 'https://api.acme.example/api/caf%C3%A9%20au%20lait');
    assert.equal(joinUpstreamUrl(API, '/a"<>`b'), 'https://api.acme.example/api/a%22%3C%3E%60b');
    // In WHATWG's path set since 2024: Node 24's parser encodes it, Node 20's does not; we always do.
    assert.equal(joinUpstreamUrl(API, '/a^b?c^d'), 'https://api.acme.example/api/a%5Eb?c^d');
    assert.equal(joinUpstreamUrl(API, "/s?q=o'neil & co\"<>\u{1f600}"), 'https://api.acme.example/api/s?q=o%27neil%20%26%20co%22%3C%3E%F0%9F%98%80'.replace('%26', '&'));
  });
});

// Characters that matter to URL parsers, plus whole fragments that attackers use.
const urlPiece = fc.oneof(
  fc.constantFrom('/', '\\', '.', '%', '@', ':', '?', '#', ';', '~', '{', '}', ' ', '"', "'", '`', '^', '<', '>', '[', ']',
    '\t', '\n', '\r', '\x00', '\x7f', '\u00e9', '\ud800', '\u{1f600}', '\uff0e', '\u3002'),
  fc.constantFrom('2e', '2E', '5c', '5C', '2f', '2F', '00', '0a', '0d', '3b', '25', '40', '23', '3f'),
  fc.constantFrom('..', '%2e%2e', '.%2e', '//', 'http:', 'evil.example', 'api.acme.example', 'localhost', '127.0.0.1'),
  fc.string({ maxLength: 3 }),
);
const urlLike = fc.array(urlPiece, { maxLength: 24 }).map((pieces) => pieces.join(''));
const anyPath = fc.oneof(urlLike, urlLike.map((p) => `/${p}`), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }));

describe('joinUpstreamUrl: properties (P1)', () => {
  test('any path is refused with INVALID_PATH or keeps the origin and the base path prefix', () => {
    fc.assert(fc.property(fc.constantFrom(...TARGETS), anyPath, (target, path) => {
      let result: string;
      try {
        result = joinUpstreamUrl(target, path);
      } catch (error) {
        assert.ok(isToolproxyError(error) && error.code === 'INVALID_PATH', String(error));
        // The final assertion is defence in depth: reaching it means an up-front check missed a case.
        assert.ok(!['escapes_base', 'not_canonical'].includes((error.details as { reason: string }).reason));
        return true;
      }
      const url = new URL(result);
      assert.equal(url.origin, target.origin);
      assert.ok(result.startsWith(target.origin + target.basePath));
      assert.ok(url.pathname === target.basePath || url.pathname.startsWith(`${target.basePath}/`));
      assert.equal(url.hash, '');
      // WHATWG would not rewrite it, so undici sends these exact bytes however it is called.
      assert.equal(url.href, result);
      assert.doesNotMatch(result, /[^\x21-\x7e]/);
      return true;
    }), { numRuns: 5000 });
  });

  const pchar = fc.constantFrom(...'abcXYZ019-_~!$&\'()*+,;=:@'.split(''), '%20', '%2F', '%41', '.');
  // %2F counts as a separator for the dot-segment check, so `.%2Fa` is refused on purpose.
  const segment = fc.array(pchar, { minLength: 1, maxLength: 8 }).map((c) => c.join(''))
    .filter((s) => s.split(/%2f/i).every((piece) => !/^\.\.?(;|$)/.test(piece)));
  const query = fc.array(fc.constantFrom(...'abc=&/?:@!$()*+,;'.split(''), '%20', '%26'), { maxLength: 12 }).map((c) => c.join(''));

  test('ordinary paths and queries pass through byte-exact', () => {
    fc.assert(fc.property(fc.constantFrom(...TARGETS), fc.array(segment, { maxLength: 6 }), fc.option(query), (target, segments, q) => {
      const path = segments.map((s) => `/${s}`).join('') + (q === null ? '' : `?${q}`);
      const expected = target.origin + (target.basePath + path.split('?')[0] || '/') + (q === null ? '' : `?${q}`);
      assert.equal(joinUpstreamUrl(target, path), expected);
    }), { numRuns: 2000 });
  });

  test('a dot segment anywhere, in any encoding, is refused', () => {
    const dot = fc.constantFrom('.', '..', '%2e', '%2E', '%2e%2e', '.%2e', '%2e.', '%2E%2e', '..;x', '.%2E;');
    const separator = fc.constantFrom('/', '%2f', '%2F');
    fc.assert(fc.property(fc.array(segment, { maxLength: 4 }), dot, separator, fc.array(segment, { maxLength: 4 }), (before, d, sep, after) => {
      const path = `/${before.map((s) => `${s}/`).join('')}x${sep}${[d, ...after].join('/')}`;
      assert.equal(refusalOf(() => joinUpstreamUrl(API, path)), 'dot_segment');
    }), { numRuns: 1000 });
  });
});

describe('joinUpstreamUrl: the fast path for plain paths', () => {
  const plainChar = fc.constantFrom(...'aZ09_~!$&\'()*+,=:@-'.split(''));
  const plainSegment = fc.array(plainChar, { minLength: 1, maxLength: 6 }).map((c) => c.join(''));
  const queryChar = fc.constantFrom(...'aZ09_~!$&()*+,;=:@/?.%-'.split(''), '%0A', '%00', '%zz');
  const plainPath = fc.tuple(fc.array(plainSegment, { minLength: 1, maxLength: 5 }), fc.boolean(), fc.option(fc.array(queryChar, { maxLength: 10 })))
    .map(([segments, slash, query]) => `/${segments.join('/')}${slash ? '/' : ''}${query === null ? '' : `?${query.join('')}`}`);

  test('gives exactly what the checked join gives, for plain paths and for anything else', () => {
    fc.assert(fc.property(fc.constantFrom(...TARGETS), fc.oneof(plainPath, anyPath), (target, path) => {
      let expected: string | Error;
      try {
        expected = checkedJoin(target, path);
      } catch (error) {
        expected = error as Error;
      }
      if (expected instanceof Error) {
        assert.throws(() => joinUpstreamUrl(target, path), (error) => isToolproxyError(error) && error.code === 'INVALID_PATH');
      } else {
        assert.equal(joinUpstreamUrl(target, path), expected);
      }
    }), { numRuns: 3000 });
  });

  test('a hand-built target never takes it: the checked join still refuses what is not canonical', () => {
    const handBuilt: UpstreamTarget = { origin: 'https://API.acme.example', basePath: '/v1' };
    assert.throws(() => joinUpstreamUrl(handBuilt, '/customers'), (error) => isToolproxyError(error) && error.code === 'INVALID_PATH');
  });
});

describe('withInjectedQuery (P7)', () => {
  test('appends query-placed credentials and drops any caller parameter of the same name', () => {
    assert.equal(withInjectedQuery('/v1/items', {}), '/v1/items');
    assert.equal(withInjectedQuery('/v1/items', { api_key: 'k v' }), '/v1/items?api_key=k%20v');
    assert.equal(withInjectedQuery('/v1/items?limit=3&api_key=attacker&api%5Fkey=x', { api_key: 'real' }), '/v1/items?limit=3&api_key=real');
  });
});
