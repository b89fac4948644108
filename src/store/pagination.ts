import { ToolproxyError } from '../errors.ts';

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, or null at the end. */
  nextPageToken: string | null;
  /** How many items match the filter across all pages, where the caller asked for the count. */
  totalSize?: number;
}

export interface PageRequest {
  pageSize: number;
  pageToken?: string | null;
}

export const MAX_PAGE_SIZE = 100;

/**
 * Keyset paging on `id` ascending: stable under inserts and deletes, unlike OFFSET. The token is
 * the base64url of the last id returned; it is opaque to callers, not a secret.
 */
export interface Keyset {
  /** Rows with an id greater than this, when paging on. */
  after: string | undefined;
  pageSize: number;
  /** One row more than the page, to learn whether another page follows. */
  limit: number;
}

export function keyset(page: PageRequest): Keyset {
  const pageSize = Number.isFinite(page.pageSize)
    ? Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(page.pageSize)))
    : MAX_PAGE_SIZE;
  const after = page.pageToken ? decodePageToken(page.pageToken) : undefined;
  return { after, pageSize, limit: pageSize + 1 };
}

export function toPage<T extends { id: string }>(rows: T[], { pageSize }: Keyset): Page<T> {
  if (rows.length <= pageSize) return { items: rows, nextPageToken: null };
  const items = rows.slice(0, pageSize);
  return { items, nextPageToken: encodePageToken(items[items.length - 1]!.id) };
}

export function encodePageToken(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodePageToken(token: string): string {
  const id = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  // Buffer decoding is lenient; only a token we could have produced is accepted.
  if (id === '' || encodePageToken(id) !== token) {
    throw new ToolproxyError('VALIDATION_FAILED', {
      details: [{ path: '/page_token', message: 'is not a page token returned by a previous call' }],
    });
  }
  return id;
}

/** A LIKE pattern for "contains `text`", with `%`, `_` and the escape character escaped (ESCAPE '\\'). */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
