import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import { after, before, test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { ScalekitClient } from '@scalekit-sdk/node';
import { GetConnectedAccountByIdentifierRequestSchema } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb.js';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { frame, rawGrpc } from './grpc-raw.ts';
import { apiKeyConnection } from './setup.ts';

/**
 * The gRPC wire by hand: what no SDK would send (no token, forged tokens, broken frames,
 * oversized messages) gets a proper gRPC status, in trailers, and the server keeps serving.
 */

const GET_AUTH = '/scalekit.v1.connected_accounts.ConnectedAccountService/GetConnectedAccountAuth';
let upstream: Upstream;
let server: TestServer;
let auth: Record<string, string>;
const request = toBinary(GetConnectedAccountByIdentifierRequestSchema, create(GetConnectedAccountByIdentifierRequestSchema, { connector: 'acme', identifier: 'nobody' }));

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ dualProtocol: true });
  await apiKeyConnection(server, 'acme', upstream.url);
  auth = { authorization: `Bearer ${await server.token()}` };
});
after(async () => {
  await server.close();
  await upstream.close();
});

async function assertHealthy(): Promise<void> {
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  const actions = new ScalekitClient(server.url, server.clientId, server.clientSecret).actions;
  assert.deepEqual((await actions.listConnections()).connections.map((c) => c.connectionName), ['acme']);
}

test('a well-formed call answers in gRPC form: HTTP 200, grpc content type, status and ErrorInfo in trailers', async () => {
  const response = await rawGrpc(server.url, GET_AUTH, frame(request), auth);
  assert.equal(response.httpStatus, 200);
  assert.match(String(response.headers['content-type']), /^application\/grpc/);
  assert.equal(response.grpcStatus, Code.NotFound);
  assert.equal(response.errorCode, 'ACCOUNT_NOT_FOUND');
  assert.equal(response.error?.rawMessage, 'No connected account for this connection and identifier.');
});

test("GetConnectedAccountDetails (the Python SDK's) answers like GetConnectedAccountAuth", async () => {
  const response = await rawGrpc(server.url, '/scalekit.v1.connected_accounts.ConnectedAccountService/GetConnectedAccountDetails', frame(request), auth);
  assert.equal(response.grpcStatus, Code.NotFound);
  assert.equal(response.errorCode, 'ACCOUNT_NOT_FOUND');
});

test('no token, a forged one, or another scheme: 16 UNAUTHENTICATED (the SDK then fetches a token)', async () => {
  for (const headers of [{} as Record<string, string>, { authorization: 'Bearer tpat_eyJjIjoieCJ9.forged' }, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }]) {
    const response = await rawGrpc(server.url, GET_AUTH, frame(request), headers);
    assert.equal(response.grpcStatus, Code.Unauthenticated, JSON.stringify(headers));
    assert.equal(response.errorCode, 'UNAUTHENTICATED');
  }
});

test('malformed frames each get a gRPC status, and the server stays healthy', async () => {
  const cases: Array<[string, Buffer, Code]> = [
    ['bytes that are not the message', frame(Buffer.from([0xff, 0xff, 0xff, 0xff])), Code.Internal],
    ['an envelope cut short', frame(request, { declaredLength: request.length + 10 }), Code.InvalidArgument],
    ['half an envelope header', Buffer.from([0, 0, 0]), Code.InvalidArgument],
    ['the compressed flag with no grpc-encoding', frame(request, { compressed: true }), Code.Internal],
    ['two messages for a unary method', Buffer.concat([frame(request), frame(request)]), Code.Unimplemented],
    ['a declared length over the limit', frame(Buffer.alloc(8), { declaredLength: 0xffffffff }), Code.ResourceExhausted],
    ['a message over the limit (1 MiB)', frame(Buffer.alloc(2 * 1024 * 1024)), Code.ResourceExhausted],
  ];
  for (const [name, body, code] of cases) {
    const response = await rawGrpc(server.url, GET_AUTH, body, auth);
    assert.equal(response.httpStatus, 200, name);
    assert.equal(response.grpcStatus, code, `${name}: ${response.error?.rawMessage}`);
  }
  await assertHealthy();
});

test('HTTP/2 requests that are not RPCs reach the same routes as HTTP/1.1', async () => {
  const session = http2.connect(server.url);
  try {
    const stream = session.request({ ':path': '/healthz' });
    let body = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
    await once(stream, 'end');
    assert.equal(headers[':status'], 200);
    assert.deepEqual(JSON.parse(body), { status: 'ok' });
  } finally {
    session.close();
  }
});

test('unknown methods and non-gRPC content types are refused without reaching a handler', async () => {
  const unknown = await rawGrpc(server.url, '/scalekit.v1.connected_accounts.ConnectedAccountService/NoSuchMethod', frame(request), auth);
  assert.equal(unknown.httpStatus, 404); // gRPC clients read this as 12 UNIMPLEMENTED
  const notServed = await rawGrpc(server.url, '/scalekit.v1.connected_accounts.ConnectedAccountService/DisconnectMyConnectedAccount', frame(Buffer.alloc(0)), auth);
  assert.equal(notServed.grpcStatus, Code.Unimplemented, "an RPC on an end user's token context, which toolproxy does not issue");
  const json = await rawGrpc(server.url, GET_AUTH, Buffer.from('{"connector":"acme"}'), { ...auth, 'content-type': 'application/json' });
  assert.equal(json.httpStatus, 415, 'only gRPC is served: no Connect or gRPC-Web surface');
  await assertHealthy();
});
