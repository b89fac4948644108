/**
 * Token endpoints that stray from RFC 6749 §5.2 in ways a spec-checked client cannot read, mended
 * before oauth4webapi sees the response: by what the response says, never by the provider's name.
 */

/**
 * Some token endpoints answer an error with HTTP 200 (GitHub: `{"error": "bad_verification_code"}`,
 * Slack: `{"ok": false, "error": "invalid_code"}`). RFC 6749 §5.2 says 400; a 200 whose JSON body has
 * an `error` and no `access_token` is turned into one, so it reads as the error it is instead of a
 * malformed success (which would count as a provider outage and never expire the account).
 */
export function errorBodiesAsBadRequest(fetchImpl: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    if (response.status !== 200 || !/\bjson\b/i.test(response.headers.get('content-type') ?? '')) return response;
    const text = await response.text();
    return new Response(text, { status: isErrorBody(text) ? 400 : 200, headers: response.headers });
  };
}

function isErrorBody(text: string): boolean {
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' && !('access_token' in body);
  } catch {
    return false;
  }
}

/**
 * Error codes some providers use where RFC 6749 §5.2 has a standard one, so they mean the same to
 * the account: a dead grant expires it, a rejected client is the connection's problem.
 */
const STANDARD_ERROR: Readonly<Record<string, 'invalid_grant' | 'invalid_client'>> = {
  bad_verification_code: 'invalid_grant', // GitHub
  bad_refresh_token: 'invalid_grant', // GitHub
  invalid_code: 'invalid_grant', // Slack
  code_already_used: 'invalid_grant', // Slack
  invalid_refresh_token: 'invalid_grant', // Slack
  incorrect_client_credentials: 'invalid_client', // GitHub
  invalid_client_id: 'invalid_client', // Slack
  bad_client_secret: 'invalid_client', // Slack
};

export function standardTokenError(code: string): string {
  return Object.hasOwn(STANDARD_ERROR, code) ? STANDARD_ERROR[code]! : code;
}
