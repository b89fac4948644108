import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Short-lived app access tokens, `tpat_<payload>.<mac>`: an HMAC-SHA256 over a tiny JSON payload
 * (client id, expiry). Verifying one needs no database round trip, which keeps SQL off the proxy's
 * hot path; revocation of the client is checked against a short-lived in-memory view.
 */
const PREFIX = 'tpat_';

export interface AppTokenClaims {
  clientId: string;
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
}

export class AppTokenSigner {
  readonly #key: Buffer;
  readonly #verifyKeys: readonly Buffer[];

  /**
   * Signs with the first key and accepts any of them, so a restart with `TOOLPROXY_ENCRYPTION_KEY=new,old`
   * (a rolling key rotation) keeps honouring tokens the other instances signed.
   */
  constructor(keys: Buffer | readonly Buffer[]) {
    const all = Buffer.isBuffer(keys) ? [keys] : [...keys];
    if (all.length === 0) throw new TypeError('AppTokenSigner needs at least one key');
    this.#key = all[0]!;
    this.#verifyKeys = all;
  }

  sign(claims: AppTokenClaims): string {
    const payload = Buffer.from(
      JSON.stringify({ c: claims.clientId, e: claims.expiresAt, n: randomBytes(8).toString('base64url') }),
    ).toString('base64url');
    return `${PREFIX}${payload}.${this.#mac(payload)}`;
  }

  /** The claims of a well-formed token with a valid MAC (expiry is the caller's check), else undefined. */
  verify(token: string): AppTokenClaims | undefined {
    if (!token.startsWith(PREFIX)) return undefined;
    const dot = token.indexOf('.', PREFIX.length);
    if (dot < 0) return undefined;
    const payload = token.slice(PREFIX.length, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const valid = this.#verifyKeys.some((key) => {
      const expected = Buffer.from(macOf(key, payload), 'base64url');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!valid) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { c?: unknown; e?: unknown };
      if (typeof parsed.c !== 'string' || typeof parsed.e !== 'number') return undefined;
      return { clientId: parsed.c, expiresAt: parsed.e };
    } catch {
      return undefined;
    }
  }

  #mac(payload: string): string {
    return macOf(this.#key, payload);
  }
}

function macOf(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}
