import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme"): the
 * secret is `whsec_` + base64 of 32 random bytes; the HMAC-SHA256 key is those bytes; the signed
 * content is `${webhook-id}.${webhook-timestamp}.${body}`; the header is `v1,<base64 digest>`
 * (space-separated when several secrets sign during a rotation). Verification lives in the SDKs
 * (packages/sdk, python/toolproxy), with a constant-time comparison and a timestamp tolerance.
 */
export const SECRET_PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  const digest = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${digest}`;
}
