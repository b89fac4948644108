import type { ResponseType } from './proxy-response.ts';

export type QueryValue = string | number | boolean | Date | null | undefined | QueryValue[] | { [key: string]: QueryValue };
export type FormValue = string | number | boolean | Blob;
export type RawBody = string | Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Options of `actions.request`, the reference's shape plus `rawBody`, `throwOnError` and `responseType`. */
export interface RequestOptions {
  /** The connection's name (`connectionName` in the reference). */
  connectionName: string;
  /** Your application's id for the user: which connected account to call as. */
  identifier: string;
  /** Path relative to the connector's `proxy_url`, e.g. `/v1/customers` (a query string is allowed). */
  path: string;
  /** HTTP method; default `GET`. */
  method?: string;
  /**
   * Query parameters, appended to `path`. Arrays repeat the key (`tag=a&tag=b`), nested objects
   * use brackets (`filter[status]=open`), `null`/`undefined` are left out. For the bracket array
   * style (`expand[]=a`), name the key that way: `{ 'expand[]': ['a', 'b'] }`.
   */
  queryParams?: Record<string, QueryValue>;
  /** A JSON body (`content-type: application/json`). */
  body?: unknown;
  /**
   * A form body. A plain object is sent `application/x-www-form-urlencoded`; a `FormData`, or an
   * object with a `Blob`/`File` value, is sent as `multipart/form-data` (fetch sets the boundary).
   */
  formData?: FormData | Record<string, FormValue | FormValue[] | null | undefined>;
  /**
   * Bytes sent as they are, with your own `content-type` header (default
   * `application/octet-stream`, or `text/plain` for a string). Streams and async iterables are
   * streamed, and such a call is never retried.
   */
  rawBody?: RawBody;
  /** Extra headers for the upstream API. `connection_name`, `identifier` and `authorization` are set by the SDK. */
  headers?: Record<string, string> | Headers;
  /** Timeout for the whole call including reading the body; default the client's (30 s). 0 = none. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Default `false`: an upstream 4xx/5xx is returned like any response, because the upstream
   * status is data (a 404 from the upstream API is an answer, not a failure of the proxy). With
   * `true`, a non-2xx upstream status throws `UpstreamHttpError` (the reference SDK's behaviour).
   * Our own refusals (`ACCOUNT_NOT_ACTIVE`, `INVALID_PATH`, …) always throw `ToolproxyApiError`.
   */
  throwOnError?: boolean;
  /** How to read the response body; see `ResponseType`. Default `auto`. */
  responseType?: ResponseType;
}

/** What fetch accepts as a request body (BodyInit, without the DOM lib). */
export type RequestBody = NonNullable<RequestInit['body']>;

export interface EncodedRequest {
  method: string;
  pathAndQuery: string;
  headers: Headers;
  body: RequestBody | null;
  replayable: boolean;
}

/** Turns `request` options into what goes on the wire to `/proxy{path}`. */
export function encodeProxyRequest(options: RequestOptions): EncodedRequest {
  for (const name of ['connectionName', 'identifier', 'path'] as const) {
    if (typeof options[name] !== 'string' || options[name].trim() === '') throw new TypeError(`request: ${name} is required`);
  }
  const bodies = (['body', 'formData', 'rawBody'] as const).filter((name) => options[name] !== undefined);
  if (bodies.length > 1) throw new TypeError(`request: give at most one of body, formData and rawBody (got ${bodies.join(', ')})`);

  const headers = new Headers(options.headers);
  // Set last, so caller headers cannot point the call at another account.
  headers.set('connection_name', options.connectionName.trim());
  headers.set('identifier', options.identifier);
  headers.delete('authorization');

  const path = options.path.startsWith('/') ? options.path : `/${options.path}`;
  const query = encodeQuery(options.queryParams ?? {});
  const pathAndQuery = query === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${query}`;

  const { body, contentType, replayable } = encodeBody(options);
  if (contentType && !headers.has('content-type')) headers.set('content-type', contentType);
  return { method: (options.method ?? 'GET').toUpperCase(), pathAndQuery, headers, body, replayable };
}

function encodeBody(options: RequestOptions): { body: RequestBody | null; contentType?: string; replayable: boolean } {
  if (options.body !== undefined) return { body: JSON.stringify(options.body), contentType: 'application/json', replayable: true };
  if (options.formData !== undefined) return { body: encodeForm(options.formData), replayable: true };
  const raw = options.rawBody;
  if (raw === undefined) return { body: null, replayable: true };
  if (typeof raw === 'string') return { body: raw, contentType: 'text/plain;charset=UTF-8', replayable: true };
  if (raw instanceof Uint8Array || raw instanceof ArrayBuffer || raw instanceof Blob) {
    return { body: raw, contentType: raw instanceof Blob && raw.type ? raw.type : 'application/octet-stream', replayable: true };
  }
  const stream = raw instanceof ReadableStream ? raw : ReadableStream.from(raw);
  return { body: stream as RequestBody, contentType: 'application/octet-stream', replayable: false };
}

/** urlencoded for plain values; multipart as soon as a file (Blob) is involved. */
function encodeForm(form: NonNullable<RequestOptions['formData']>): URLSearchParams | FormData {
  if (form instanceof FormData) return form;
  const entries: Array<[string, FormValue]> = [];
  for (const [name, value] of Object.entries(form)) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) entries.push([name, item]);
  }
  if (entries.some(([, value]) => value instanceof Blob)) {
    const multipart = new FormData();
    for (const [name, value] of entries) multipart.append(name, value instanceof Blob ? value : String(value));
    return multipart;
  }
  return new URLSearchParams(entries.map(([name, value]): [string, string] => [name, String(value)]));
}

/** `a=1&tag=x&tag=y&filter[status]=open`, every key and value percent-encoded. */
export function encodeQuery(params: Record<string, QueryValue>): string {
  const pairs: string[] = [];
  const add = (key: string, value: QueryValue): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const item of value) add(key, item);
    } else if (value instanceof Date) {
      pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(value.toISOString())}`);
    } else if (typeof value === 'object') {
      for (const [sub, item] of Object.entries(value)) add(`${key}[${sub}]`, item);
    } else {
      pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
    }
  };
  for (const [key, value] of Object.entries(params)) add(key, value);
  return pairs.join('&');
}
