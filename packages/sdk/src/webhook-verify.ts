import { createHmac, timingSafeEqual } from 'node:crypto';
import { ToolproxyError } from './errors.ts';

/** A delivery's headers: a fetch `Headers`, or Node's `IncomingHttpHeaders` (lower-case names). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** A verified webhook: the `webhook-id` to deduplicate on, and the parsed body. */
export interface VerifiedWebhook<T = Record<string, unknown>> {
  /** The same on every retry and replay of one event: store it and skip one seen before. */
  id: string;
  type: string;
  /** When the event happened (the body's `timestamp`). */
  timestamp: string;
  data: T;
}

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way (default 300 s): older is a replay. */
  toleranceSeconds?: number;
  /** The clock, in ms (tests). */
  now?: () => number;
}

/** Why a delivery was refused: `WEBHOOK_SIGNATURE_INVALID`, `WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE` or `WEBHOOK_HEADERS_MISSING`. */
export class WebhookVerificationError extends ToolproxyError {
  constructor(code: 'WEBHOOK_SIGNATURE_INVALID' | 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE' | 'WEBHOOK_HEADERS_MISSING', message: string) {
    super(code, message);
    this.name = 'WebhookVerificationError';
  }
}

const SECRET_PREFIX = 'whsec_';

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks a webhook from toolproxy (Standard Webhooks scheme): the HMAC-SHA256 of
 * `${webhook-id}.${webhook-timestamp}.${body}` under the endpoint's secret must match one of the
 * `v1,` signatures (compared in constant time), and the timestamp must be within the tolerance,
 * so a captured delivery cannot be replayed later. Pass the body exactly as received (the raw
 * bytes or string, before any JSON parsing). Returns the parsed event; throws
 * `WebhookVerificationError` otherwise.
 *
 * @example
 * import { verifyWebhook } from '@toolproxy/sdk';
 * app.post('/hooks/toolproxy', express.raw({ type: 'application/json' }), (req, res) => {
 *   const event = verifyWebhook(process.env.TOOLPROXY_WEBHOOK_SECRET, req.headers, req.body);
 *   if (event.type === 'account.status_changed') console.log(event.data.previous_status, '→', event.data.status);
 *   res.sendStatus(204);
 * });
 */
export function verifyWebhook<T = Record<string, unknown>>(secret: string, headers: WebhookHeaders, body: string | Uint8Array, options: VerifyWebhookOptions = {}): VerifiedWebhook<T> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('WEBHOOK_HEADERS_MISSING', 'The webhook-id, webhook-timestamp and webhook-signature headers are required.');

  const seconds = /^\d{1,15}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (!Number.isFinite(seconds) || Math.abs(now - seconds) > tolerance) {
    throw new WebhookVerificationError('WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE', `The webhook timestamp is more than ${tolerance} s from now: a replay, or a wrong clock.`);
  }

  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(raw).digest();
  const matches = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('WEBHOOK_SIGNATURE_INVALID', 'No webhook signature matches: a wrong secret, or the body or headers were changed.');

  const event = JSON.parse(raw.toString('utf8')) as { type: string; timestamp: string; data: T };
  return { id, type: event.type, timestamp: event.timestamp, data: event.data };
}
