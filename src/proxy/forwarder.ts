import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, errors as undiciErrors } from 'undici';
import { ToolproxyError } from '../errors.ts';

export interface UpstreamRequest {
  origin: string;
  /** Path and query, already joined and checked (url-join.ts). */
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string | string[]>;
  body: Readable | string | null;
  signal?: AbortSignal | undefined;
}

export interface ForwarderOptions {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/**
 * Sends requests upstream over pooled keep-alive connections (one undici Agent, a pool per
 * origin). Never follows redirects: a 3xx goes back to the caller as it came (P12).
 */
export class Forwarder {
  readonly #agent: Agent;

  constructor(options: ForwarderOptions) {
    this.#agent = new Agent({
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      keepAliveTimeout: 4_000,
      // Upstream header blocks above this are refused rather than buffered (P14).
      maxHeaderSize: 64 * 1024,
    });
  }

  async send(request: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    try {
      return await this.#agent.request({
        origin: request.origin,
        path: request.path,
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: request.signal,
      });
    } catch (error) {
      throw upstreamError(error);
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/** Maps an undici/socket failure to a stable code; the message never includes resolved addresses (P20). */
export function upstreamError(error: unknown): ToolproxyError {
  if (error instanceof ToolproxyError) return error;
  const code = (error as { code?: string } | null)?.code ?? '';
  if (error instanceof undiciErrors.ConnectTimeoutError) {
    return new ToolproxyError('UPSTREAM_TIMEOUT', { message: 'Connecting to the upstream API timed out.', details: { phase: 'connect' }, cause: error });
  }
  if (error instanceof undiciErrors.HeadersTimeoutError) {
    return new ToolproxyError('UPSTREAM_TIMEOUT', { message: 'The upstream API did not send response headers in time.', details: { phase: 'headers' }, cause: error });
  }
  if (error instanceof undiciErrors.BodyTimeoutError) {
    return new ToolproxyError('UPSTREAM_TIMEOUT', { message: 'The upstream API stopped sending the response body.', details: { phase: 'body' }, cause: error });
  }
  if (error instanceof undiciErrors.RequestContentLengthMismatchError) {
    return new ToolproxyError('VALIDATION_FAILED', { message: 'The request body does not match its Content-Length.', cause: error });
  }
  if (error instanceof undiciErrors.HeadersOverflowError || code.startsWith('HPE_')) {
    return new ToolproxyError('UPSTREAM_ERROR', { details: { reason: 'invalid HTTP response' }, cause: error });
  }
  if (error instanceof undiciErrors.RequestAbortedError || (error as Error | null)?.name === 'AbortError') {
    return new ToolproxyError('UPSTREAM_UNREACHABLE', { message: 'The request was aborted.', details: { reason: 'aborted' }, cause: error });
  }
  return new ToolproxyError('UPSTREAM_UNREACHABLE', { details: { reason: code || 'connection failed' }, cause: error });
}
