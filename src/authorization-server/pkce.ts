import { createHash, timingSafeEqual } from 'node:crypto';

/** RFC 7636 §4.1–4.2: 43–128 unreserved characters; an S256 challenge is 43 base64url characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function isS256Challenge(value: unknown): value is string {
  return typeof value === 'string' && S256_CHALLENGE.test(value);
}

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) must equal the challenge, compared in constant time. */
export function verifiesS256(verifier: unknown, challenge: string): boolean {
  if (typeof verifier !== 'string' || !VERIFIER.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
