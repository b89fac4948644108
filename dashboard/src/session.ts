/**
 * Signing in with an API client's credentials (POST /oauth/token, client_secret_post). The
 * access token lives in sessionStorage (gone when the tab closes); the client secret only in
 * this module's memory, to renew the token before it expires. Nothing goes to localStorage.
 */

const KEY = 'toolproxy.dashboard.session';
/** Renew after three quarters of the token's life, so a call never starts with a nearly dead token. */
const RENEW_AT = 0.75;

interface Stored {
  clientId: string;
  token: string;
  expiresAt: number;
  renewAt: number;
}

let remembered: { clientId: string; secret: string } | undefined;
let renewing: Promise<string> | undefined;

export class SignInError extends Error {}

export function currentSession(): Stored | undefined {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Stored | null;
    return stored && stored.expiresAt > Date.now() ? stored : undefined;
  } catch {
    return undefined;
  }
}

export async function signIn(clientId: string, clientSecret: string): Promise<void> {
  const response = await fetch('/oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    credentials: 'omit',
    cache: 'no-store',
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error_description?: string };
  if (!response.ok || !body.access_token) {
    throw new SignInError(response.status === 401 ? 'Unknown client ID or wrong client secret.' : (body.error_description ?? `Sign-in failed (HTTP ${response.status}).`));
  }
  remembered = { clientId, secret: clientSecret };
  const lifetimeMs = (body.expires_in ?? 3600) * 1000;
  const stored: Stored = { clientId, token: body.access_token, expiresAt: Date.now() + lifetimeMs, renewAt: Date.now() + lifetimeMs * RENEW_AT };
  sessionStorage.setItem(KEY, JSON.stringify(stored));
}

export function signOut(): void {
  remembered = undefined;
  sessionStorage.removeItem(KEY);
}

/** A token with most of its life left, renewed with the in-memory secret when needed. */
export async function accessToken(options: { forceRenew?: boolean } = {}): Promise<string | undefined> {
  const session = currentSession();
  const fresh = session && Date.now() < session.renewAt;
  if (session && fresh && !options.forceRenew) return session.token;
  if (!remembered) return options.forceRenew ? undefined : session?.token;
  const { clientId, secret } = remembered;
  renewing ??= signIn(clientId, secret)
    .then(() => currentSession()?.token ?? '')
    .catch(() => '')
    .finally(() => {
      renewing = undefined;
    });
  return (await renewing) || undefined;
}
