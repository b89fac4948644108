import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ToolproxyError } from '../errors.ts';
import type { Keyring } from './keyring.ts';

/**
 * Where a ciphertext lives. It is bound to that place with AAD, so a value copied to another
 * row or column does not decrypt (S2).
 */
export interface SecretBinding {
  table: string;
  rowId: string;
  column: string;
}

const VERSION = 'v1';
const IV_BYTES = 12; // 96-bit random IV per encryption (NIST SP 800-38D)
const TAG_BYTES = 16;

function aadOf(binding: SecretBinding): Buffer {
  return Buffer.from(`toolproxy:${VERSION}|${binding.table}|${binding.rowId}|${binding.column}`, 'utf8');
}

/**
 * AES-256-GCM envelope `v1.<kid>.<iv>.<ciphertext>.<tag>` (base64url parts, S1). New values use
 * the keyring's current key; old values decrypt by their kid, so keys can be rotated.
 */
export class Vault {
  readonly #keyring: Keyring;

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  get currentKid(): string {
    return this.#keyring.current.kid;
  }

  get kids(): string[] {
    return [...this.#keyring.byKid.keys()];
  }

  encrypt(plaintext: string, binding: SecretBinding): string {
    const { kid, key } = this.#keyring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadOf(binding));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, kid, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  decrypt(envelope: string, binding: SecretBinding): string {
    const parts = envelope.split('.');
    // The error never carries the envelope or key material (S3).
    const unreadable = (reason: string, cause?: unknown) =>
      new ToolproxyError('CREDENTIALS_UNREADABLE', { details: { reason, table: binding.table, rowId: binding.rowId }, cause });
    if (parts.length !== 5 || parts[0] !== VERSION) throw unreadable('unknown envelope format');
    const [, kid, ivPart, ctPart, tagPart] = parts as [string, string, string, string, string];
    // A kid we do not hold may be a key that `keys rotate` added after this process started.
    const key = this.#keyring.byKid.get(kid) ?? this.#keyring.reloadFor?.(kid);
    if (!key) throw unreadable(`no key with id ${kid} is loaded`);
    const iv = Buffer.from(ivPart, 'base64url');
    const tag = Buffer.from(tagPart, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw unreadable('malformed envelope');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aadOf(binding));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ctPart, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw unreadable('authentication failed (wrong key, tampered value, or value moved from another row)', cause);
    }
  }

  encryptJson(value: unknown, binding: SecretBinding): string {
    return this.encrypt(JSON.stringify(value), binding);
  }

  decryptJson<T>(envelope: string, binding: SecretBinding): T {
    return JSON.parse(this.decrypt(envelope, binding)) as T;
  }

  /** The kid an envelope was written with, or undefined if it is not an envelope. */
  static kidOf(envelope: string): string | undefined {
    const parts = envelope.split('.');
    return parts.length === 5 && parts[0] === VERSION ? parts[1] : undefined;
  }
}
