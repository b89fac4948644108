/**
 * An OpenAPI document as text (JSON or YAML), from a request body or a URL, with its size
 * checked before anything is parsed: memory is bounded by OPENAPI_MAX_BYTES, whatever arrives.
 */
import { parse as parseYaml } from 'yaml';
import { ToolproxyError } from '../../errors.ts';
import { OPENAPI_FETCH_TIMEOUT_MS, OPENAPI_MAX_BYTES } from './limits.ts';

type Fetch = typeof globalThis.fetch;

export function tooLarge(bytes?: number): ToolproxyError {
  return new ToolproxyError('OPENAPI_TOO_LARGE', {
    message: `The OpenAPI document is larger than ${OPENAPI_MAX_BYTES / 1024 / 1024} MiB; import a smaller document.`,
    details: { limit: { bytes: OPENAPI_MAX_BYTES }, ...(bytes === undefined ? {} : { bytes }) },
  });
}

/** JSON when it looks like JSON, else YAML (which JSON also is). */
export function parseDocumentText(text: string): Record<string, unknown> {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > OPENAPI_MAX_BYTES) throw tooLarge(bytes);
  let document: unknown;
  const body = text.replace(/^\uFEFF/, '').trimStart();
  try {
    // yaml's alias limit refuses "billion laughs" documents.
    document = body.startsWith('{') ? JSON.parse(body) : parseYaml(body, { maxAliasCount: 100, prettyErrors: false });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]!.slice(0, 300) : 'unreadable';
    throw invalid(`the document is not valid ${body.startsWith('{') ? 'JSON' : 'YAML'}: ${reason}`);
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) throw invalid('the document is not a JSON or YAML object');
  return document as Record<string, unknown>;
}

/**
 * Fetches a document with `fetch` (the Forwarder's, so the egress policy applies: no private
 * addresses unless allowed). Redirects are not followed; the body is read up to the size limit.
 */
export async function fetchDocumentText(url: string, fetch: Fetch, timeoutMs = OPENAPI_FETCH_TIMEOUT_MS): Promise<string> {
  if (!/^https?:\/\//i.test(url)) {
    throw new ToolproxyError('VALIDATION_FAILED', { details: { problems: [{ path: '/url', message: 'must be an http:// or https:// URL' }] } });
  }
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'manual', headers: { accept: 'application/json, application/yaml, text/yaml;q=0.9, */*;q=0.5' } });
  } catch (error) {
    throw fetchError(error, signal, timeoutMs);
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw failed('redirect', `The URL answered with a redirect (${response.status}); give the final URL.`, response.status);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw failed('status', `The URL answered with HTTP ${response.status}.`, response.status);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > OPENAPI_MAX_BYTES) {
    await response.body?.cancel();
    throw tooLarge(declared);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body ?? []) {
      total += chunk.byteLength;
      if (total > OPENAPI_MAX_BYTES) {
        await response.body?.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ToolproxyError) throw error;
    throw fetchError(error, signal, timeoutMs);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function fetchError(error: unknown, signal: AbortSignal, timeoutMs: number): ToolproxyError {
  if (error instanceof ToolproxyError) return error;
  // The egress policy refuses at DNS time inside undici: its error arrives as the cause.
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof ToolproxyError) return cause;
  if (signal.aborted) return failed('timeout', `The URL did not answer within ${Math.ceil(timeoutMs / 1000)} seconds.`);
  return failed('network', 'The URL could not be reached.');
}

function failed(reason: string, message: string, status?: number): ToolproxyError {
  return new ToolproxyError('OPENAPI_FETCH_FAILED', { message, details: { reason, ...(status === undefined ? {} : { status }) } });
}

function invalid(message: string): ToolproxyError {
  return new ToolproxyError('OPENAPI_INVALID', { details: { problems: [{ path: '', message }] } });
}
