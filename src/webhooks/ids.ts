import { randomBytes } from 'node:crypto';

/**
 * Ids that sort by creation time (`evt_…`, `dlv_…`): a base-36 millisecond prefix then 80 random
 * bits, so keyset paging on `id` lists deliveries in the order they were made.
 */
export function timeOrderedId(prefix: 'evt' | 'dlv', now: number): string {
  return `${prefix}_${Math.max(0, Math.trunc(now)).toString(36).padStart(9, '0')}${randomBytes(10).toString('base64url')}`;
}

/** An endpoint's id: 120 random bits, as the other resources' ids. */
export function endpointId(): string {
  return `whep_${randomBytes(15).toString('base64url')}`;
}
