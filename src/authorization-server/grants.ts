import type { Clock } from '../clock.ts';
import type { GrantStatus } from '../mcp/authenticator.ts';
import type { Store } from '../store/store.ts';

/** How long an instance trusts what it read about a grant (like API clients' revocation, src/clients). */
const STATE_TTL_MS = 30_000;
const CACHE_MAX = 10_000;

/**
 * Whether an OAuth grant still stands, for the MCP endpoint's access-token check. Read at most
 * once per grant per 30 s per instance; a revocation here takes effect here at once, and on the
 * other instances within those 30 s (access tokens live 15 minutes, so this bounds a revoked
 * family's reach well below their lifetime).
 */
export class Grants implements GrantStatus {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #state = new Map<string, { active: boolean; until: number }>();

  constructor(deps: { store: Store; clock: Clock }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
  }

  async isActive(grantId: string): Promise<boolean> {
    const now = this.#clock();
    const known = this.#state.get(grantId);
    if (known && known.until > now) return known.active;
    const grant = await this.#store.mcpAuthorization.findGrant(grantId);
    const active = grant !== undefined && grant.revoked_at === null;
    if (this.#state.size >= CACHE_MAX) this.#state.clear();
    this.#state.set(grantId, { active, until: now + STATE_TTL_MS });
    return active;
  }

  /** Revokes the grant and so every token of its family. */
  async revoke(grantId: string): Promise<void> {
    await this.#store.mcpAuthorization.revokeGrant(grantId, this.#clock());
    this.#state.set(grantId, { active: false, until: Number.POSITIVE_INFINITY });
  }
}
