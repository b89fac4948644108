/**
 * An upstream answer, buffered by the pipeline (CollectingSink), as tool output: JSON parsed,
 * text as text, anything else as base64 (a model cannot read bytes, but the caller can). A body
 * the buffer cut short is kept as the text that arrived, marked truncated.
 */
import type { CollectedResponse } from '../proxy/sinks.ts';

export interface ReadAnswer {
  data: unknown;
  /** The upstream body was longer than the buffer: only its start is in `data`. */
  cut: boolean;
  /**
   * An upper bound on the size of `data` as JSON (and of any part of it), when one is known
   * without serializing it: JSON text parsed and stringified again grows at most 6× (a number
   * like 1e20 becomes 21 digits; a control character in a string becomes \u0001), so a small
   * answer needs no size check.
   */
  maxJsonBytes?: number;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b|^text\/json\b/i;
const TEXT_TYPE = /^text\/|^application\/(?:[\w.+-]+\+)?xml\b|^application\/x-www-form-urlencoded\b|^application\/(?:javascript|graphql)\b/i;

export function readAnswer(response: CollectedResponse): ReadAnswer {
  const { body, truncated } = response;
  if (body.length === 0) return { data: null, cut: truncated };
  const contentType = headerOf(response.headers['content-type']);
  if (!truncated && (contentType === '' || JSON_TYPE.test(contentType))) {
    const text = body.toString('utf8');
    const maxJsonBytes = body.length * 6 + 2;
    try {
      return { data: JSON.parse(text) as unknown, cut: false, maxJsonBytes };
    } catch {
      // Declared JSON that is not (or no type at all): the text is what there is.
      return { data: text, cut: false, maxJsonBytes };
    }
  }
  if (contentType === '' || JSON_TYPE.test(contentType) || TEXT_TYPE.test(contentType)) return { data: body.toString('utf8'), cut: truncated, maxJsonBytes: body.length * 6 + 2 };
  return { data: { content_type: contentType, encoding: 'base64', body: body.toString('base64') }, cut: truncated };
}

/** Retry-After as seconds (delta-seconds or an HTTP date), or undefined. */
export function retryAfterSeconds(value: string | string[] | undefined, now: number): number | undefined {
  const text = headerOf(value).trim();
  if (text === '') return undefined;
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function headerOf(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}
