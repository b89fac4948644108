import { createHash, randomBytes } from 'node:crypto';

/** Prefixed random ids (`ca_…`, `conn_…`), 120 bits, URL-safe. The prefix names the kind. */
export function newId(prefix: 'prov' | 'conn' | 'ca' | 'as' | 'cli' | 'rv' | 'tool'): string {
  return `${prefix}_${randomBytes(15).toString('base64url')}`;
}

/** A high-entropy bearer value (link tokens, client secrets): 256 bits, URL-safe. */
export function newToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Tokens and secrets are stored only as SHA-256 digests (S12); they are random, so no slow hash is needed. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
