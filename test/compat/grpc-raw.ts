import http2 from 'node:http2';
import { ConnectError } from '@connectrpc/connect';
import { findTrailerError } from '@connectrpc/connect/protocol-grpc';
import { ErrorInfoSchema } from '../../src/compat/descriptors.ts';

export interface RawGrpcResponse {
  httpStatus: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
  /** grpc-status from the trailers (or the headers of a trailers-only response). */
  grpcStatus: number | undefined;
  /** The error as the SDK's transport decodes it, with our ErrorInfo code. */
  error: ConnectError | undefined;
  errorCode: string | undefined;
}

/** One length-prefixed gRPC message frame (flag byte, 4-byte big-endian length, bytes). */
export function frame(message: Uint8Array, options: { compressed?: boolean; declaredLength?: number } = {}): Buffer {
  const head = Buffer.alloc(5);
  head[0] = options.compressed ? 1 : 0;
  head.writeUInt32BE(options.declaredLength ?? message.length, 1);
  return Buffer.concat([head, message]);
}

/**
 * A gRPC call by hand over h2c, so tests can send what no SDK would (no token, broken frames)
 * and read the status exactly as it went over the wire.
 */
export async function rawGrpc(baseUrl: string, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<RawGrpcResponse> {
  const session = http2.connect(baseUrl);
  try {
    return await new Promise<RawGrpcResponse>((resolve, reject) => {
      session.once('error', reject);
      const stream = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc+proto',
        te: 'trailers',
        ...headers,
      });
      let responseHeaders: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => (responseHeaders = h));
      stream.on('trailers', (t) => (trailers = t));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('error', reject);
      stream.once('close', () => {
        const source = trailers['grpc-status'] !== undefined ? trailers : responseHeaders;
        const h = new Headers();
        for (const [k, v] of Object.entries(source)) if (typeof v === 'string' && !k.startsWith(':')) h.set(k, v);
        const error = findTrailerError(h);
        resolve({
          httpStatus: Number(responseHeaders[':status']),
          headers: responseHeaders,
          trailers,
          body: Buffer.concat(chunks),
          grpcStatus: source['grpc-status'] === undefined ? undefined : Number(source['grpc-status']),
          error,
          errorCode: error?.findDetails(ErrorInfoSchema)[0]?.errorCode,
        });
      });
      stream.end(body);
    });
  } finally {
    session.close();
  }
}
