import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PolicyDocument } from '../policy/policy-schema.ts';

/**
 * The bearer tokens the MCP endpoint accepts, verifiable without a database read (an HMAC-SHA256
 * over a small JSON payload, like the app tokens in src/clients/app-tokens.ts, with its own
 * subkey). Two kinds, told apart by prefix and payload:
 * - `tpms_…` session tokens, minted by the app through the API for a server-side agent;
 * - `tpma_…` access tokens, issued by the MCP authorization server to an OAuth client.
 * Both are bound to one config (and its URL, the RFC 8707 audience) and one identifier, and carry
 * no credential: they only say whose accounts, through which config, until when.
 */
export type McpTokenKind = 'session' | 'access';

/**
 * A session token's own policy (docs/policies.md): one more layer over the connection's and the
 * account's (connection → account → session token), so it can only narrow them. Checked by the
 * policy step on every call the token makes; its `tools` also narrows what `tools/list` shows.
 */
export type McpTokenPolicy = PolicyDocument;

export interface McpTokenClaims {
  kind: McpTokenKind;
  configId: string;
  identifier: string;
  /** The config's URL the token is for (RFC 8707 / RFC 9068 `aud`). */
  audience: string;
  /** Epoch milliseconds. */
  issuedAt: number;
  expiresAt: number;
  /** Granted scopes (`tools:read`, `tools:call`). */
  scope: readonly string[];
  /** Null: not narrowed. */
  policy: McpTokenPolicy | null;
  /** Access tokens: the OAuth client and the grant (revocable family) it came from. */
  clientId?: string;
  grantId?: string;
}

const PREFIX: Record<McpTokenKind, string> = { session: 'tpms_', access: 'tpma_' };
/** Generous: an identifier is at most 255 characters; anything longer is not ours. */
const MAX_TOKEN_LENGTH = 4096;

interface Payload {
  k: McpTokenKind;
  c: string;
  i: string;
  a: string;
  t: number;
  e: number;
  s: string;
  p: McpTokenPolicy | null;
  cl?: string;
  g?: string;
  n: string;
}

export class McpTokenSigner {
  readonly #key: Buffer;
  readonly #verifyKeys: readonly Buffer[];

  /** Signs with the first key and accepts any (a rolling key rotation keeps tokens valid). */
  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new TypeError('McpTokenSigner needs at least one key');
    this.#key = keys[0]!;
    this.#verifyKeys = keys;
  }

  sign(claims: McpTokenClaims): string {
    const payload: Payload = {
      k: claims.kind,
      c: claims.configId,
      i: claims.identifier,
      a: claims.audience,
      t: claims.issuedAt,
      e: claims.expiresAt,
      s: claims.scope.join(' '),
      p: claims.policy,
      ...(claims.clientId === undefined ? {} : { cl: claims.clientId }),
      ...(claims.grantId === undefined ? {} : { g: claims.grantId }),
      n: randomBytes(12).toString('base64url'),
    };
    const prefix = PREFIX[claims.kind];
    const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${prefix}${encoded}.${mac(this.#key, prefix, encoded)}`;
  }

  /** The claims of a well-formed token with a valid MAC (expiry and audience are the caller's checks), else undefined. */
  verify(token: string): McpTokenClaims | undefined {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    const prefix = token.slice(0, 5);
    const kind = prefix === PREFIX.session ? 'session' : prefix === PREFIX.access ? 'access' : undefined;
    if (!kind) return undefined;
    const dot = token.indexOf('.', 5);
    if (dot < 0) return undefined;
    const encoded = token.slice(5, dot);
    // Compared as text, not decoded bytes: base64url's last character has spare bits, and a
    // token must have exactly one valid spelling.
    const given = Buffer.from(token.slice(dot + 1));
    const valid = this.#verifyKeys.some((key) => {
      const expected = Buffer.from(mac(key, prefix, encoded));
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!valid) return undefined;
    let p: Partial<Payload>;
    try {
      p = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Partial<Payload>;
    } catch {
      return undefined;
    }
    if (p.k !== kind || typeof p.c !== 'string' || typeof p.i !== 'string' || typeof p.a !== 'string') return undefined;
    if (typeof p.t !== 'number' || typeof p.e !== 'number' || typeof p.s !== 'string') return undefined;
    return {
      kind,
      configId: p.c,
      identifier: p.i,
      audience: p.a,
      issuedAt: p.t,
      expiresAt: p.e,
      scope: p.s.split(' ').filter(Boolean),
      policy: p.p ?? null,
      ...(typeof p.cl === 'string' ? { clientId: p.cl } : {}),
      ...(typeof p.g === 'string' ? { grantId: p.g } : {}),
    };
  }
}

/** The MAC covers the prefix too, so a token of one kind cannot be passed off as the other. */
function mac(key: Buffer, prefix: string, encoded: string): string {
  return createHmac('sha256', key).update(prefix).update(encoded).digest('base64url');
}
