import { accessToken, signOut } from './session.ts';
import type { Problem } from './types.ts';

/** An API error in the server's one shape: `{ error: { code, message, details } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when the session is gone for good (expired token and no secret to renew it). */
let onSignedOut: () => void = () => {};
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** One call; the status and parsed body whatever the status (a 401 renews the token once, or signs out). */
async function exchange(method: string, path: string, body?: unknown, retried = false): Promise<{ status: number; body: unknown }> {
  const token = await accessToken();
  if (!token) {
    signOut();
    onSignedOut();
    throw new ApiError(401, 'UNAUTHENTICATED', 'Your session has ended. Sign in again.');
  }
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (response.status === 204) return { status: 204, body: undefined };
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const code = (parsed as { error?: { code?: string } } | undefined)?.error?.code;
  // Our own refusal of the token (not an upstream 401 a tool run reports): renew once, else sign out.
  if (response.status === 401 && (code === 'UNAUTHENTICATED' || code === 'TOKEN_EXPIRED' || code === undefined) && !retried) {
    if (await accessToken({ forceRenew: true })) return exchange(method, path, body, true);
    signOut();
    onSignedOut();
  }
  return { status: response.status, body: parsed };
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const answer = await exchange(method, path, body);
  if (answer.status >= 200 && answer.status < 300) return answer.body as T;
  const error = (answer.body as { error?: { code?: string; message?: string; details?: { problems?: Problem[] } } } | undefined)?.error;
  throw new ApiError(answer.status, error?.code ?? `HTTP_${answer.status}`, error?.message ?? `The server answered ${answer.status}.`, error?.details?.problems ?? []);
}

export const api = {
  get: <T>(path: string, query?: Query) => call<T>('GET', withQuery(path, query)),
  post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  delete: (path: string) => call<void>('DELETE', path),
  /** The answer as it is, error or not (the tools page shows it). */
  send: (method: string, path: string, body?: unknown) => exchange(method, path, body),
};
