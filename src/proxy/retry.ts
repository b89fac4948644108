import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { ToolproxyError } from '../errors.ts';

/**
 * Opt-in retries of a proxied call (DESIGN.md §7), off unless the caller asks per call with
 * `x-toolproxy-retries: <1-5>`. Only idempotent methods (RFC 9110 §9.2.2) are retried, plus POST
 * and PATCH when the caller also sends `x-toolproxy-retry-post: true`; only on 429, 502, 503 and
 * 504; `Retry-After` (seconds or an HTTP date) is honoured up to MAX_RETRY_AFTER_MS, otherwise
 * exponential backoff with full jitter. Both headers are ours and never reach the upstream.
 * A retried body is replayed from memory (request-body.ts): a large or unsized one gets no retry.
 */

export const MAX_RETRIES = 5;
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/** A longer Retry-After is not waited for: the caller gets the response and decides. */
export const MAX_RETRY_AFTER_MS = 30_000;
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;
// RFC 9110 §9.2.2.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** How many retries this call may have: 0 unless asked for and allowed for its method. */
export function retriesRequested(headers: IncomingHttpHeaders, method: string): number {
  const raw = headers['x-toolproxy-retries'];
  if (raw === undefined) return 0;
  const value = typeof raw === 'string' ? raw.trim() : '';
  if (!/^\d$/.test(value) || Number(value) > MAX_RETRIES) {
    throw new ToolproxyError('INVALID_HEADER', {
      message: `x-toolproxy-retries must be a whole number from 0 to ${MAX_RETRIES}.`,
      details: { reason: 'invalid_value', header: 'x-toolproxy-retries' },
    });
  }
  if (IDEMPOTENT.has(method)) return Number(value);
  const optIn = headers['x-toolproxy-retry-post'];
  const allowed = (method === 'POST' || method === 'PATCH') && typeof optIn === 'string' && optIn.trim().toLowerCase() === 'true';
  return allowed ? Number(value) : 0;
}

/**
 * The wait before retry number `attempt` (1-based), or undefined when the upstream asked for a
 * longer pause than we wait. `now` and `random` are injected so tests need no real time.
 */
export function retryDelayMs(attempt: number, retryAfter: string | string[] | undefined, now: number, random: () => number): number | undefined {
  const value = typeof retryAfter === 'string' ? retryAfter.trim() : '';
  if (value !== '') {
    // RFC 9110 §10.2.3: delay-seconds or an HTTP-date.
    const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
    if (!Number.isNaN(ms)) return ms > MAX_RETRY_AFTER_MS ? undefined : Math.max(0, ms);
  }
  // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)));
}

export interface RetryClock {
  now(): number;
  random(): number;
  /** Resolves after `ms`, or rejects when the call is aborted meanwhile. */
  sleep(ms: number): Promise<void>;
}

/**
 * Calls `attempt` until its response is not retryable, the retries are used up, or a wait would
 * pass `deadline` (epoch ms); the last response is returned as it is, body unread.
 */
export async function withRetries<T extends { response: Dispatcher.ResponseData }>(
  attempt: () => Promise<T>,
  retries: number,
  deadline: number,
  clock: RetryClock,
): Promise<T> {
  for (let n = 1; ; n++) {
    const result = await attempt();
    const { statusCode, headers } = result.response;
    if (n > retries || !RETRYABLE_STATUSES.has(statusCode)) return result;
    const delay = retryDelayMs(n, headers['retry-after'], clock.now(), clock.random);
    if (delay === undefined || clock.now() + delay >= deadline) return result;
    await result.response.body.dump();
    await clock.sleep(delay);
  }
}
