/**
 * How `actions.request` hands back the upstream body:
 * - `auto` (default): parsed JSON for a JSON content type (text if it does not parse), a string
 *   for text types, a `Uint8Array` for anything else; `null` when there is no body;
 * - `json`, `text`, `bytes`: always that (`json` throws on a body that is not JSON);
 * - `stream`: the unread `ReadableStream<Uint8Array>` (or `null`), for large or binary bodies.
 */
export type ResponseType = 'auto' | 'json' | 'text' | 'bytes' | 'stream';

/** The upstream API's answer, passed through the Tool Proxy unchanged. */
export class ProxyResponse<T = unknown> {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: T;

  constructor(status: number, statusText: string, headers: Headers, body: T) {
    this.status = status;
    this.statusText = statusText;
    this.headers = headers;
    this.body = body;
  }

  /** True for a 2xx status. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The body under the name the reference SDK (an axios response) uses. */
  get data(): T {
    return this.body;
  }

  toJSON(): { status: number; headers: Record<string, string>; body: unknown } {
    const body = this.body instanceof Uint8Array ? `<${this.body.byteLength} bytes>` : this.body instanceof ReadableStream ? '<stream>' : this.body;
    return { status: this.status, headers: Object.fromEntries(this.headers), body };
  }
}

const TEXT_TYPES = /^(text\/|application\/(xml|javascript|x-www-form-urlencoded)|[^;]*\+xml)/i;
const JSON_TYPES = /^(application\/json|[^;]*\+json)/i;

export async function decodeBody(response: Response, type: ResponseType): Promise<unknown> {
  if (type === 'stream') return response.body;
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (type === 'bytes') return bytes;
  const text = new TextDecoder().decode(bytes);
  if (type === 'text') return text;
  if (type === 'json') return JSON.parse(text) as unknown;
  if (bytes.byteLength === 0) return null;
  const contentType = response.headers.get('content-type') ?? '';
  if (JSON_TYPES.test(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text; // the upstream said JSON and sent something else: give the caller what came
    }
  }
  return TEXT_TYPES.test(contentType) ? text : bytes;
}
