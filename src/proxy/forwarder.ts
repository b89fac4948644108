import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, fetch as undiciFetch, errors as undiciErrors } from 'undici';
import { ToolproxyError } from '../errors.ts';
import type { EgressPolicy } from './egress-policy.ts';

export interface UpstreamRequest {
  origin: string;
  /** Path and query, already joined and checked (url-join.ts). */
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string | string[]>;
  body: Readable | string | Buffer | null;
  /** Aborts the call: the caller went away or the total deadline passed (its reason is the error). */
  signal?: AbortSignal | undefined;
}

export interface ForwarderOptions {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  egress: EgressPolicy;
}

/**
 * Sends requests upstream over pooled keep-alive connections (one undici Agent, a pool per
 * origin). Every connection goes through the egress policy (P8–P9). Never follows redirects: a
 * 3xx goes back to the caller as it came (P12), so credentials never reach another origin.
 * Bodies stream both ways; nothing here buffers one (P14).
 */
export class Forwarder {
  readonly #agent: Agent;
  readonly #egress: EgressPolicy;

  constructor(options: ForwarderOptions) {
    this.#egress = options.egress;
    this.#agent = new Agent({
      connect: { timeout: options.connectTimeoutMs, lookup: options.egress.lookup },
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      keepAliveTimeout: 4_000,
      // Upstream header blocks above this are refused rather than buffered (P14).
      maxHeaderSize: 64 * 1024,
    });
  }

  async send(request: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    try {
      this.#egress.checkOrigin(request.origin);
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

  /**
   * A `fetch` over the same guarded Agent, for other outbound calls that must obey the egress
   * policy (OAuth token, refresh and revocation endpoints; DESIGN.md §7). Redirects are not
   * followed here either.
   */
  readonly fetch = ((input: string | URL | { url: string }, init?: Record<string, unknown>) => {
    const url = typeof input === 'string' || input instanceof URL ? String(input) : input.url;
    this.#egress.checkOrigin(new URL(url).origin);
    return undiciFetch(input as string, { redirect: 'manual', ...init, dispatcher: this.#agent });
  }) as unknown as typeof fetch;

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

/**
 * Maps an undici/socket failure to a stable code, with `details.phase` where a timeout is
 * involved. Messages never include resolved addresses or header values (P20).
 */
export function upstreamError(error: unknown): ToolproxyError {
  if (error instanceof ToolproxyError) return error;
  const code = (error as { code?: string } | null)?.code ?? '';
  if (error instanceof undiciErrors.ConnectTimeoutError || code === 'ETIMEDOUT') {
    return new ToolproxyError('UPSTREAM_CONNECT_TIMEOUT', { details: { phase: 'connect' }, cause: error });
  }
  if (error instanceof undiciErrors.HeadersTimeoutError) {
    return new ToolproxyError('UPSTREAM_TIMEOUT', { details: { phase: 'headers' }, cause: error });
  }
  if (error instanceof undiciErrors.BodyTimeoutError) {
    return new ToolproxyError('UPSTREAM_BODY_TIMEOUT', { details: { phase: 'body' }, cause: error });
  }
  if (error instanceof undiciErrors.RequestContentLengthMismatchError) {
    return new ToolproxyError('VALIDATION_FAILED', { message: 'The request body does not match its Content-Length.', cause: error });
  }
  if (error instanceof undiciErrors.InvalidArgumentError) {
    return new ToolproxyError('VALIDATION_FAILED', { message: 'The request cannot be sent upstream as it is (a header or the body is malformed).', cause: error });
  }
  if (
    error instanceof undiciErrors.HeadersOverflowError ||
    error instanceof undiciErrors.ResponseContentLengthMismatchError ||
    code.startsWith('HPE_')
  ) {
    return new ToolproxyError('UPSTREAM_ERROR', { details: { reason: 'invalid_response' }, cause: error });
  }
  if (error instanceof undiciErrors.RequestAbortedError || (error as Error | null)?.name === 'AbortError') {
    return new ToolproxyError('UPSTREAM_UNREACHABLE', { message: 'The request was aborted.', details: { reason: 'aborted' }, cause: error });
  }
  if (UNREACHABLE_CODES.has(code) || (error as Error | null)?.name === 'AggregateError') {
    return new ToolproxyError('UPSTREAM_UNREACHABLE', { details: { reason: code || 'connection_failed' }, cause: error });
  }
  // Closed or reset after we connected: the upstream broke the exchange.
  return new ToolproxyError('UPSTREAM_ERROR', { details: { reason: 'connection_closed' }, cause: error });
}
