import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  encodeQuery,
  ToolproxyClient,
  ToolproxyConnectionError,
  ToolproxyTimeoutError,
} from '../../packages/sdk/src/index.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { apiKeyConnector } from './scenario-fixtures.ts';

/** How `actions.request` puts options on the wire and reads responses; tokens, timeouts, aborts. */

let upstream: Upstream;
let server: TestServer;
let client: ToolproxyClient;
/** One clock for the server and the SDK, moved by the tests (no sleeping). */
let now = Date.now();
const clock = () => now;
const account = { connectionName: 'echo', identifier: 'user_1' };

before(async () => {
  upstream = await startUpstream((request, response) => {
    const path = request.url.split('?')[0];
    if (path === '/api/text') return void response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('hello, text');
    if (path === '/api/bytes') return void response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 1, 2, 255]));
    if (path === '/api/empty') return void response.writeHead(204).end();
    if (path === '/api/not-json') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{oops');
    if (path === '/api/slow') return; // never answers
    json(response, 200, { ok: true });
  });
  server = await startTestServer({ database: await createSqliteDatabase(), clock });
  client = new ToolproxyClient(server.url, server.clientId, server.clientSecret, { now: clock });
  const connector = await client.connectors.create(apiKeyConnector(upstream.url, 'Echo'));
  await client.connections.create({ name: 'echo', connector: connector.identifier });
  await client.actions.createConnectedAccount({ ...account, authorizationDetails: { staticAuth: { details: { api_key: 'k_echo' } } } });
});
after(async () => {
  // The upstream closes even when the server failed to start, so the file never hangs.
  try {
    await server?.close();
  } finally {
    await upstream?.close();
  }
});

const last = () => upstream.received.at(-1)!;

describe('request encoding', () => {
  test('queryParams: arrays repeat the key, objects nest with brackets, null is left out, an existing query is kept', async () => {
    await client.actions.request({
      ...account,
      path: '/v1/search?fixed=1',
      queryParams: { q: 'a b&c', tag: ['x', 'y'], filter: { status: 'open', owner: { id: 7 } }, skip: null, 'expand[]': ['items'], at: new Date(0) },
    });
    assert.equal(
      last().url,
      '/api/v1/search?fixed=1&q=a%20b%26c&tag=x&tag=y&filter%5Bstatus%5D=open&filter%5Bowner%5D%5Bid%5D=7&expand%5B%5D=items&at=1970-01-01T00%3A00%3A00.000Z',
    );
    assert.equal(encodeQuery({}), '');
  });

  test('formData as a plain object is sent urlencoded', async () => {
    await client.actions.request({ ...account, path: '/form', method: 'POST', formData: { name: 'Ada Lovelace', tag: ['a', 'b'], n: 2, gone: undefined } });
    assert.equal(last().headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8');
    assert.equal(last().body.toString(), 'name=Ada+Lovelace&tag=a&tag=b&n=2');
  });

  test('formData with a Blob, or a FormData, is sent multipart', async () => {
    await client.actions.request({ ...account, path: '/upload', method: 'POST', formData: { title: 'report', file: new File(['%PDF-1.7 bytes'], 'report.pdf', { type: 'application/pdf' }) } });
    assert.match(String(last().headers['content-type']), /^multipart\/form-data; boundary=/);
    const body = last().body.toString();
    assert.match(body, /name="title"\r\n\r\nreport\r\n/);
    assert.match(body, /name="file"; filename="report.pdf"\r\nContent-Type: application\/pdf\r\n\r\n%PDF-1.7 bytes\r\n/);

    const form = new FormData();
    form.append('a', '1');
    await client.actions.request({ ...account, path: '/upload', method: 'POST', formData: form });
    assert.match(String(last().headers['content-type']), /^multipart\/form-data/);
  });

  test('rawBody is sent as it is, with the caller content-type or a default', async () => {
    await client.actions.request({ ...account, path: '/raw', method: 'PUT', rawBody: '<a>1</a>', headers: { 'Content-Type': 'application/xml' } });
    assert.equal(last().headers['content-type'], 'application/xml');
    assert.equal(last().body.toString(), '<a>1</a>');

    await client.actions.request({ ...account, path: '/raw', method: 'PUT', rawBody: new Uint8Array([1, 2, 3]) });
    assert.equal(last().headers['content-type'], 'application/octet-stream');
    assert.deepEqual([...last().body], [1, 2, 3]);
  });

  test('a stream or async iterable rawBody is streamed', async () => {
    // What the SDK hands to fetch: a stream sent as it is produced (duplex 'half', no length). The
    // framing of the next hop is undici's business: a body that has fully arrived by the time the
    // proxy forwards it goes upstream with a Content-Length instead of chunked.
    const sent: (RequestInit & { duplex?: string })[] = [];
    const streaming = new ToolproxyClient(server.url, server.clientId, server.clientSecret, {
      now: clock,
      fetch: (input, init) => {
        if (String(input).includes('/proxy/')) sent.push(init as RequestInit & { duplex?: string });
        return fetch(input, init);
      },
    });
    async function* chunks() {
      for (let i = 0; i < 50; i++) yield new TextEncoder().encode(`chunk-${i};`);
    }
    await streaming.actions.request({ ...account, path: '/stream', method: 'POST', rawBody: chunks(), headers: { 'content-type': 'text/plain' } });
    assert.equal(last().body.toString(), Array.from({ length: 50 }, (_, i) => `chunk-${i};`).join(''));
    assert.ok(sent[0]?.body instanceof ReadableStream, 'the body went to fetch as a stream');
    assert.equal(sent[0]?.duplex, 'half');
    assert.equal(new Headers(sent[0]?.headers).get('content-length'), null);

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([9, 8]));
        controller.close();
      },
    });
    await client.actions.request({ ...account, path: '/stream', method: 'POST', rawBody: stream });
    assert.deepEqual([...last().body], [9, 8]);
  });

  test('caller headers pass through, but cannot pick another account or send their own authorization', async () => {
    await client.actions.request({ ...account, path: '/h', headers: { 'X-Trace': 't-1', identifier: 'someone_else', connection_name: 'other', authorization: 'Bearer mine' } });
    assert.equal(last().headers['x-trace'], 't-1');
    assert.equal(last().headers['x-api-key'], 'k_echo', "the call ran as user_1's account");
    assert.equal(last().headers.authorization, undefined);
  });
});

describe('response decoding', () => {
  test('text stays a string, binary is bytes, no body is null, bad JSON is kept as text', async () => {
    assert.equal((await client.actions.request({ ...account, path: '/text' })).body, 'hello, text');
    const bytes = (await client.actions.request({ ...account, path: '/bytes' })).body;
    assert.ok(bytes instanceof Uint8Array);
    assert.deepEqual([...bytes], [0, 1, 2, 255]);
    const empty = await client.actions.request({ ...account, path: '/empty' });
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
    assert.equal((await client.actions.request({ ...account, path: '/not-json' })).body, '{oops');
  });

  test('responseType picks the form: text, bytes or an unread stream', async () => {
    assert.equal((await client.actions.request({ ...account, path: '/ok', responseType: 'text' })).body, '{"ok":true}');
    assert.ok((await client.actions.request({ ...account, path: '/ok', responseType: 'bytes' })).body instanceof Uint8Array);
    const streamed = await client.actions.request<ReadableStream<Uint8Array>>({ ...account, path: '/bytes', responseType: 'stream' });
    assert.ok(streamed.body instanceof ReadableStream);
    assert.deepEqual([...new Uint8Array(await new Response(streamed.body).arrayBuffer())], [0, 1, 2, 255]);
  });
});

describe('tokens, timeouts and aborts', () => {
  test('concurrent first calls share one token request, which is reused until shortly before it expires', async () => {
    const tokenRequests: string[] = [];
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith('/oauth/token')) tokenRequests.push(String(input));
      return fetch(input, init);
    };
    const fresh = new ToolproxyClient(server.url, server.clientId, server.clientSecret, { fetch: counting, now: clock });
    await Promise.all(Array.from({ length: 10 }, () => fresh.actions.listConnections()));
    assert.equal(tokenRequests.length, 1);
    now += 3_000_000; // 50 minutes of the 60-minute token: still good
    await fresh.actions.listConnections();
    assert.equal(tokenRequests.length, 1);
    now += 550_000; // inside the last minute: renewed before use
    await fresh.actions.listConnections();
    assert.equal(tokenRequests.length, 2);
  });

  test('a token the server no longer accepts is renewed and the call sent once more', async () => {
    let sdkNow = now;
    const tokenRequests: string[] = [];
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith('/oauth/token')) tokenRequests.push(String(input));
      return fetch(input, init);
    };
    const fresh = new ToolproxyClient(server.url, server.clientId, server.clientSecret, { fetch: counting, now: () => sdkNow });
    await fresh.actions.request({ ...account, path: '/ok' });
    now += 2 * 3_600_000; // the server sees the token expired; the SDK's clock does not know
    const result = await fresh.actions.request({ ...account, path: '/ok', method: 'POST', body: { replayed: true } });
    assert.equal(result.status, 200);
    assert.equal(tokenRequests.length, 2);
    assert.equal(last().body.toString(), '{"replayed":true}');
    sdkNow = now;
  });

  test('timeoutMs ends a call that takes too long with TIMEOUT', async () => {
    await assert.rejects(client.actions.request({ ...account, path: '/slow', timeoutMs: 200 }), (error: unknown) => {
      assert.ok(error instanceof ToolproxyTimeoutError);
      assert.equal(error.code, 'TIMEOUT');
      assert.equal(error.timeoutMs, 200);
      return true;
    });
  });

  test('an AbortSignal cancels the call with an AbortError', async () => {
    const controller = new AbortController();
    const call = client.actions.request({ ...account, path: '/slow', signal: controller.signal, timeoutMs: 0 });
    controller.abort();
    await assert.rejects(call, { name: 'AbortError' });
  });

  test('an unreachable server is a NETWORK_ERROR that names the URL it tried', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const nowhere = new ToolproxyClient(url, 'id', 'secret');
    await assert.rejects(nowhere.actions.listConnections(), (error: unknown) => {
      assert.ok(error instanceof ToolproxyConnectionError);
      assert.equal(error.code, 'NETWORK_ERROR');
      assert.ok(error.message.includes(`at ${url} (`), error.message);
      return true;
    });
  });
});
