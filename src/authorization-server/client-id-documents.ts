import type { Clock } from '../clock.ts';
import { type ClientMetadata, validateClientMetadata } from './client-metadata.ts';
import { invalidClient, OAuthError } from './oauth-error.ts';

/** draft-ietf-oauth-client-id-metadata-document §6: a small document, fetched with a short timeout. */
const MAX_DOCUMENT_BYTES = 5 * 1024;
const FETCH_TIMEOUT_MS = 5_000;
const MIN_CACHE_MS = 60_000;
const MAX_CACHE_MS = 24 * 3600_000;
const DEFAULT_CACHE_MS = 5 * 60_000;
const CACHE_MAX = 1000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * OAuth Client ID Metadata Documents (MCP 2025-11-25 "Client ID Metadata Documents"): a client_id
 * that is an https URL names a JSON document describing the client. It is fetched through the
 * egress policy (Forwarder.fetch: no private or loopback addresses unless allow-listed, no
 * redirects followed), must be small JSON whose `client_id` is exactly its URL, and is cached
 * respecting Cache-Control within bounds.
 */
export class ClientIdDocuments {
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #cache = new Map<string, { metadata: ClientMetadata; until: number }>();

  constructor(deps: { fetch: typeof fetch; clock: Clock }) {
    this.#fetch = deps.fetch;
    this.#clock = deps.clock;
  }

  /** Whether a client_id is a metadata document URL (rather than a registered `tpmc_…` id). */
  static isDocumentUrl(clientId: string): boolean {
    return clientId.startsWith('https://') || clientId.startsWith('http://');
  }

  async resolve(clientId: string): Promise<ClientMetadata> {
    const problem = documentUrlProblem(clientId);
    if (problem) throw invalidClient(`The client_id URL ${problem}.`);
    const now = this.#clock();
    const cached = this.#cache.get(clientId);
    if (cached && cached.until > now) return cached.metadata;
    const { document, maxAgeMs } = await this.#fetchDocument(clientId);
    if ((document as { client_id?: unknown }).client_id !== clientId) throw invalidClient('The client metadata document must have client_id equal to its own URL.');
    let metadata: ClientMetadata;
    try {
      metadata = validateClientMetadata(document, { documentClient: true });
    } catch (error) {
      throw invalidClient(`The client metadata document is invalid: ${error instanceof OAuthError ? error.message : 'unreadable'}`);
    }
    if (maxAgeMs > 0) {
      if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
      this.#cache.set(clientId, { metadata, until: now + maxAgeMs });
    }
    return metadata;
  }

  async #fetchDocument(url: string): Promise<{ document: unknown; maxAgeMs: number }> {
    let response: Response;
    try {
      response = await this.#fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch {
      // The egress policy's refusal (a private address) reads the same as an unreachable host: no network oracle.
      throw invalidClient('The client metadata document could not be fetched.');
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw invalidClient(`The client metadata document could not be fetched (HTTP ${response.status}).`);
    }
    const text = await readLimited(response, MAX_DOCUMENT_BYTES);
    if (text === undefined) throw invalidClient(`The client metadata document is larger than ${MAX_DOCUMENT_BYTES} bytes.`);
    try {
      return { document: JSON.parse(text) as unknown, maxAgeMs: cacheLifetime(response.headers.get('cache-control')) };
    } catch {
      throw invalidClient('The client metadata document is not valid JSON.');
    }
  }
}

/**
 * The client_id URL: https with a path (MCP 2025-11-25), no fragment, credentials or dot
 * segments. http is accepted only on a loopback host, which the egress policy refuses unless
 * TOOLPROXY_EGRESS_ALLOW_CIDRS allows loopback (tests do): no deployment reaches it by accident.
 */
export function documentUrlProblem(value: string): string | undefined {
  if (value.length > 2048) return 'is too long';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.href !== value) return 'is not in normal form';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) return 'must use https';
  if (url.pathname === '/' || url.hash !== '' || url.username !== '' || url.password !== '') return 'must have a path and no fragment or credentials';
  if (/\/\.\.?(\/|$)/.test(url.pathname)) return 'must not have dot segments';
  return undefined;
}

/** How long to keep a document: its max-age within [1 min, 24 h]; not at all with no-store. */
function cacheLifetime(header: string | null): number {
  if (!header) return DEFAULT_CACHE_MS;
  if (/no-store/i.test(header)) return 0;
  const maxAge = /max-age=(\d+)/i.exec(header);
  if (!maxAge) return DEFAULT_CACHE_MS;
  return Math.min(MAX_CACHE_MS, Math.max(MIN_CACHE_MS, Number(maxAge[1]) * 1000));
}

async function readLimited(response: Response, limit: number): Promise<string | undefined> {
  if (Number(response.headers.get('content-length') ?? 0) > limit) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
