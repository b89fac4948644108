import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { ALPN_PROTOCOLS, listenDualProtocol, prefaceVerdict } from '../../src/compat/dual-protocol.ts';
import { selfSignedCertificate } from './tls-cert.ts';

/**
 * One port, two protocols (wire notes §3.4): HTTP/1.1 reaches the Fastify app as before, HTTP/2
 * (prior knowledge on cleartext, ALPN h2 behind TLS) reaches the HTTP/2 handler. Tested on a
 * bare Fastify app with a trivial HTTP/2 handler; the SDK runs over it in the other files.
 */

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

function h2Handler(request: http2.Http2ServerRequest, response: http2.Http2ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end(`h2 ${request.method} ${request.url}`);
}

async function bareApp(options: { https?: { key: string; cert: string } } = {}): Promise<FastifyInstance> {
  const app = (options.https ? Fastify({ https: { ...options.https, ALPNProtocols: ALPN_PROTOCOLS } }) : Fastify()) as unknown as FastifyInstance;
  app.get('/healthz', async (request) => ({ status: 'ok', httpVersion: request.raw.httpVersion }));
  app.post('/echo', async (request) => ({ body: request.body }));
  await listenDualProtocol(app, { host: '127.0.0.1', port: 0, http2: h2Handler });
  return app;
}

async function h2Get(url: string, path: string, options: http2.SecureClientSessionOptions = {}): Promise<{ status: number; body: string }> {
  const session = http2.connect(url, options);
  try {
    const stream = session.request({ ':path': path });
    let body = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
    await once(stream, 'end');
    return { status: Number(headers[':status']), body };
  } finally {
    session.close();
  }
}

test('the preface verdict: a prefix waits, a mismatch is HTTP/1, the whole line is HTTP/2', () => {
  assert.equal(prefaceVerdict(Buffer.from('PRI * HTTP/2.0\r\n')), 'http2');
  assert.equal(prefaceVerdict(Buffer.from(PREFACE)), 'http2');
  assert.equal(prefaceVerdict(Buffer.from('PRI * HT')), 'more');
  assert.equal(prefaceVerdict(Buffer.from('')), 'more');
  assert.equal(prefaceVerdict(Buffer.from('POST /proxy HTTP/1.1\r\n')), 'http1');
  assert.equal(prefaceVerdict(Buffer.from('PUT')), 'http1');
  assert.equal(prefaceVerdict(Buffer.from('PRI / HTTP/1.1\r\n')), 'http1');
  // Wherever TCP splits the first bytes, the verdict never flips once made.
  fc.assert(
    fc.property(fc.constantFrom(PREFACE, 'GET /healthz HTTP/1.1\r\n\r\n', 'PATCH /x HTTP/1.1\r\n\r\n', 'PRI * HTTP/1.1\r\n'), fc.nat(40), (text, cut) => {
      const whole = prefaceVerdict(Buffer.from(text));
      const part = prefaceVerdict(Buffer.from(text.slice(0, cut)));
      assert.ok(part === 'more' || part === whole);
    }),
  );
});

describe('cleartext: HTTP/1.1 and h2c with prior knowledge on one port', () => {
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    app = await bareApp();
    url = app.listeningOrigin;
  });
  after(() => app.close());

  test('HTTP/1.1 requests reach Fastify, with keep-alive', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const body = await new Promise<string>((resolve, reject) => {
          http.get(`${url}/healthz`, { agent }, (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text));
          }).on('error', reject);
        });
        assert.deepEqual(JSON.parse(body), { status: 'ok', httpVersion: '1.1' });
      }
    } finally {
      agent.destroy();
    }
    const posted = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ p: 'PRI *' }) });
    assert.deepEqual(await posted.json(), { body: { p: 'PRI *' } });
  });

  test('HTTP/2 with prior knowledge reaches the HTTP/2 handler', async () => {
    assert.deepEqual(await h2Get(url, '/anything?x=1'), { status: 200, body: 'h2 GET /anything?x=1' });
  });

  test('a request whose first bytes trickle in is still sorted correctly', async () => {
    for (const [text, expect] of [
      [`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, /"httpVersion":"1.1"/],
      [PREFACE, /^\x00\x00/], // the server's SETTINGS frame: an HTTP/2 session started
    ] as const) {
      const socket = net.connect(new URL(url).port as unknown as number, '127.0.0.1');
      await once(socket, 'connect');
      socket.setNoDelay(true);
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      for (const piece of [text.slice(0, 1), text.slice(1, 5), text.slice(5, 11), text.slice(11)]) {
        await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await new Promise<void>((resolve) => {
        const check = () => expect.test(received.toString('latin1')) && resolve();
        socket.on('data', check);
        check();
      });
      socket.destroy();
    }
  });

  test('connections that close early or send a broken preface leave the server serving', async () => {
    for (const bytes of ['', 'PRI * HT', `${PREFACE}\x00\x00\x04garbage-that-is-not-a-frame`, 'GET / HTTP/9\r\n\r\n']) {
      const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
      await once(socket, 'connect');
      socket.on('error', () => {});
      socket.resume();
      socket.end(bytes);
      await once(socket, 'close');
    }
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await h2Get(url, '/still')).status, 200);
  });

  test('close() ends open HTTP/2 sessions and idle keep-alive connections', async () => {
    const other = await bareApp();
    const session = http2.connect(other.listeningOrigin);
    const stream = session.request({ ':path': '/x' });
    stream.resume();
    await once(stream, 'end');
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve) => http.get(`${other.listeningOrigin}/healthz`, { agent }, (res) => res.resume().on('end', resolve)));
    const sessionClosed = once(session, 'close');
    await other.close();
    await sessionClosed;
    agent.destroy();
  });
});

test('host "localhost": every address Fastify binds sorts its connections', async () => {
  const app = Fastify();
  app.get('/healthz', async () => ({ status: 'ok' }));
  await listenDualProtocol(app, { host: 'localhost', port: 0, http2: h2Handler });
  try {
    for (const address of app.addresses() as net.AddressInfo[]) {
      const origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      assert.equal((await fetch(`${origin}/healthz`)).status, 200, origin);
      assert.equal((await h2Get(origin, '/x')).body, 'h2 GET /x', origin);
    }
  } finally {
    await app.close();
  }
});

describe('TLS: ALPN picks the protocol, both on one port', () => {
  const { key, cert } = selfSignedCertificate();
  let app: FastifyInstance;
  let port: number;
  before(async () => {
    app = await bareApp({ https: { key, cert } });
    port = Number(new URL(app.listeningOrigin).port);
  });
  after(() => app.close());

  async function negotiated(protocols: string[] | undefined): Promise<string | false | null> {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: cert, ...(protocols ? { ALPNProtocols: protocols } : {}) });
    await once(socket, 'secureConnect');
    const protocol = socket.alpnProtocol;
    socket.destroy();
    return protocol ?? null;
  }

  test('clients that offer both get HTTP/1.1; gRPC clients, offering only h2, get h2', async () => {
    assert.equal(await negotiated(['h2', 'http/1.1']), 'http/1.1');
    assert.equal(await negotiated(['h2']), 'h2');
    assert.equal(await negotiated(undefined), false);
  });

  test('HTTPS/1.1 reaches Fastify and h2 reaches the HTTP/2 handler', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/healthz', ca: cert }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.deepEqual(JSON.parse(body), { status: 'ok', httpVersion: '1.1' });
    assert.deepEqual(await h2Get(`https://127.0.0.1:${port}`, '/over-tls', { ca: cert }), { status: 200, body: 'h2 GET /over-tls' });
  });
});
