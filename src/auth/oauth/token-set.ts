/** What we keep of a token response (RFC 6749 §5.1), encrypted as the account's credentials. */
export interface OAuthCredentials {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  /** When we received the tokens (epoch ms): the refresh window is capped at half the lifetime. */
  obtained_at: number;
}

export interface TokenSet {
  credentials: OAuthCredentials;
  /** Epoch ms, or null when the provider sent no `expires_in` (then: refresh on 401 only, O11). */
  expiresAt: number | null;
  /** Granted scopes; when the response has none, the requested ones (RFC 6749 §3.3, O15). */
  scope: string;
}

/**
 * Whether tokens should be refreshed before use: inside the configured window before expiry,
 * the window capped at half the token's lifetime so short-lived tokens are not refreshed on
 * every call.
 */
export function isExpiring(credentials: Pick<OAuthCredentials, 'obtained_at'>, expiresAt: number | null, now: number, windowMs: number): boolean {
  if (expiresAt === null) return false;
  const lifetime = Math.max(0, expiresAt - credentials.obtained_at);
  return expiresAt - now <= Math.min(windowMs, lifetime / 2);
}
