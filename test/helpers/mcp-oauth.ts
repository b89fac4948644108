import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { TestBrowser } from './oauth-provider.ts';

/**
 * The application side of MCP OAuth in tests: its user verification page reads "its own
 * session" (here: whoever `userOf` says is signed in) and confirms the user to toolproxy with
 * POST /api/v1/connected_accounts/user/verify, then sends the browser where toolproxy says.
 */
export interface VerifyingApp {
  origin: string;
  verifyUrl: string;
  /** Every auth_request_id the page was opened with, and the identifier it confirmed. */
  verified: Array<{ authRequestId: string; identifier: string; status: number }>;
  close(): Promise<void>;
}

export async function startVerifyingApp(
  api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any; text: string }>,
  userOf: () => string,
  port = 0,
): Promise<VerifyingApp> {
  const verified: VerifyingApp['verified'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app.invalid');
    const authRequestId = url.searchParams.get('auth_request_id');
    if (url.pathname !== '/verify' || !authRequestId) {
      res.writeHead(404).end();
      return;
    }
    const identifier = userOf();
    void api('POST', '/api/v1/connected_accounts/user/verify', { auth_request_id: authRequestId, identifier }).then((answer) => {
      verified.push({ authRequestId, identifier, status: answer.status });
      if (answer.status !== 200) {
        res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.text);
        return;
      }
      res.writeHead(302, { location: answer.body.post_user_verify_redirect_url }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    verifyUrl: `${origin}/verify`,
    verified,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An agent host's OAuth client state, in memory (the SDK's OAuthClientProvider contract). */
export class MemoryOAuthProvider implements OAuthClientProvider {
  clientInfo: OAuthClientInformationMixed | undefined;
  savedTokens: OAuthTokens | undefined;
  verifier: string | undefined;
  /** The authorization URL the SDK sent the "browser" to, last. */
  authorizationUrl: URL | undefined;
  readonly #redirectUrl: string;
  readonly #metadata: OAuthClientMetadata;
  readonly clientMetadataUrl: string | undefined;

  constructor(redirectUrl: string, metadata: Partial<OAuthClientMetadata> = {}, clientMetadataUrl?: string) {
    this.#redirectUrl = redirectUrl;
    this.#metadata = {
      client_name: 'Test Agent Host',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...metadata,
    };
    this.clientMetadataUrl = clientMetadataUrl;
  }

  get redirectUrl(): string {
    return this.#redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return this.#metadata;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.clientInfo;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.clientInfo = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.savedTokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.savedTokens = tokens;
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
}

/**
 * What the user's browser does with an authorization URL: toolproxy → the app's verify page →
 * toolproxy's consent page, where the user allows (or denies); returns the URL the browser is
 * finally sent to (the client's redirect URI with `code` or `error`), and the consent page.
 */
export async function consentOverHttp(browser: TestBrowser, authorizationUrl: URL, redirectUrl: string, decision: 'allow' | 'deny' = 'allow'): Promise<{ callback: URL; consentHtml: string; consentUrl: URL }> {
  const isCallback = (url: URL) => url.href.startsWith(redirectUrl);
  const atConsent = await browser.navigate(authorizationUrl.href, isCallback);
  if (!atConsent.response) throw new Error(`expected the consent page, was sent to ${atConsent.url.href}`);
  const consentHtml = await atConsent.response.text();
  if (atConsent.response.status !== 200) throw new Error(`consent page ${atConsent.response.status}: ${consentHtml}`);
  const done = await browser.navigate(atConsent.url.href, isCallback, { method: 'POST', body: new URLSearchParams({ decision }) });
  if (done.response) throw new Error(`expected a redirect to the client, got ${done.response.status}: ${await done.response.text()}`);
  return { callback: done.url, consentHtml, consentUrl: atConsent.url };
}
