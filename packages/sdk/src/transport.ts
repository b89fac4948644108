import { type CallContext, type Fetch, runCall } from './call.ts';
import { apiErrorFrom } from './errors.ts';
import type { RequestBody } from './proxy-request.ts';
import { TokenSource } from './token-source.ts';

export interface TransportOptions {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  fetch: Fetch;
  timeoutMs: number;
  userAgent: string;
  now: () => number;
}

export interface SendInit {
  method: string;
  headers: Headers;
  body?: RequestBody | null;
  /** False for one-shot bodies (streams): such a call is never retried. */
  replayable: boolean;
}

export interface CallOptions {
  /** Overrides the client's timeout for this call; 0 means none. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined | null>;

/** Our own refusal of the token, as opposed to anything else that answers 401. */
const STALE_TOKEN_CODES = new Set(['UNAUTHENTICATED', 'TOKEN_EXPIRED']);

/** The HTTP layer shared by every part of the client: base URL, bearer token, timeouts, errors. */
export class Transport {
  readonly baseUrl: string;
  readonly #options: TransportOptions;
  readonly #tokens: TokenSource;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl;
    this.#options = options;
    this.#tokens = new TokenSource(options);
  }

  context(options: CallOptions = {}): CallContext {
    return { timeoutMs: options.timeoutMs ?? this.#options.timeoutMs, signal: options.signal, server: this.baseUrl };
  }

  /**
   * Sends one authenticated request and returns the response unread. When the server says our
   * token is no longer good (it restarted with a rotated key, or the token expired early), the
   * token is renewed and a replayable request is sent once more.
   */
  async send(path: string, init: SendInit, context: CallContext, signal: AbortSignal | undefined): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.#tokens.get(context);
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      if (!headers.has('user-agent')) headers.set('user-agent', this.#options.userAgent);
      const request: RequestInit & { duplex?: 'half' } = { method: init.method, headers, signal };
      if (init.body !== undefined && init.body !== null) {
        request.body = init.body;
        // Required by fetch for a streamed request body.
        if (!init.replayable) request.duplex = 'half';
      }
      const response = await this.#options.fetch(`${this.baseUrl}${path}`, request);
      const code = response.headers.get('x-toolproxy-error');
      if (response.status === 401 && code && STALE_TOKEN_CODES.has(code) && init.replayable && attempt === 0) {
        await response.body?.cancel();
        this.#tokens.invalidate(token);
        continue;
      }
      return response;
    }
  }

  /** A JSON call to the management API; resolves with the parsed body, throws `ToolproxyApiError`. */
  async json<T>(method: string, path: string, options: CallOptions & { query?: Query; body?: unknown } = {}): Promise<T> {
    const context = this.context(options);
    return runCall(context, async (signal) => {
      const headers = new Headers({ accept: 'application/json' });
      if (options.body !== undefined) headers.set('content-type', 'application/json');
      const init: SendInit = { method, headers, replayable: true, body: options.body === undefined ? null : JSON.stringify(options.body) };
      const response = await this.send(`${path}${queryString(options.query)}`, init, context, signal);
      const text = await response.text();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (!response.ok) throw apiErrorFrom(response.status, body);
      return body as T;
    });
  }
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    // A list repeats the parameter (`tool_name=a&tool_name=b`).
    if (Array.isArray(value)) for (const item of value) params.append(name, item);
    else if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Encodes a path segment (connection names, identifiers and ids are the caller's strings). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
