import { apiErrorFrom, ToolproxyError } from './errors.ts';
import type { CallContext, Fetch } from './call.ts';
import { runCall } from './call.ts';

interface CachedToken {
  value: string;
  /** When to fetch a new one (epoch ms), a little before it expires. */
  renewAt: number;
}

/**
 * App access tokens from `POST /oauth/token` (RFC 6749 §4.4, client_secret_post, as the
 * reference SDKs send it). One token is shared by every call; it is renewed before it expires,
 * and concurrent callers wait on the same request (single flight).
 */
export class TokenSource {
  readonly #baseUrl: string;
  readonly #url: string;
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #fetch: Fetch;
  readonly #now: () => number;
  #cached: CachedToken | undefined;
  #pending: Promise<string> | undefined;

  constructor(options: { baseUrl: string; clientId: string; clientSecret: string; fetch: Fetch; now: () => number }) {
    this.#baseUrl = options.baseUrl;
    this.#url = `${options.baseUrl}/oauth/token`;
    this.#clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.#fetch = options.fetch;
    this.#now = options.now;
  }

  /** A token valid for a while yet. */
  async get(context: CallContext): Promise<string> {
    if (this.#cached && this.#cached.renewAt > this.#now()) return this.#cached.value;
    // The shared request is not tied to one caller's signal: a caller that gives up must not
    // fail the others waiting on it.
    this.#pending ??= this.#fetchToken({ timeoutMs: context.timeoutMs, server: this.#baseUrl }).finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  /** Forgets `token` after the server refused it (expired early, key rotated, server restarted). */
  invalidate(token: string): void {
    if (this.#cached?.value === token) this.#cached = undefined;
  }

  async #fetchToken(context: CallContext): Promise<string> {
    return runCall(context, async (signal) => {
      const response = await this.#fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.#clientId, client_secret: this.#clientSecret }),
        signal,
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (!response.ok) throw apiErrorFrom(response.status, body);
      const { access_token: value, expires_in: expiresIn } = (body ?? {}) as { access_token?: unknown; expires_in?: unknown };
      if (typeof value !== 'string') throw new ToolproxyError('UNEXPECTED_RESPONSE', 'The token endpoint answered without an access_token.');
      const lifetimeMs = (typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 300) * 1000;
      // Renew with a tenth of the lifetime (at most a minute) to spare, so a token never expires in flight.
      this.#cached = { value, renewAt: this.#now() + lifetimeMs - Math.min(60_000, lifetimeMs / 10) };
      return value;
    });
  }
}
