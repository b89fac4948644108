import type { AuditRecorder } from '../audit/audit-entry.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import { ToolproxyError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import { compileEffective, type EffectivePolicy } from './effective-policy.ts';
import { assertNarrows } from './narrowing.ts';
import type { PolicyDocument } from './policy-schema.ts';
import { parsePolicy } from './validate-policy.ts';
import type { Actor } from '../actor.ts';

/** A connection's or account's policy as the API shows it. */
export interface PolicyView {
  policy: PolicyDocument | null;
  updated_at: string | null;
}

/** An account's policies: its connection's, its own, and what a call is checked against. */
export interface EffectivePolicyView {
  connection_name: string;
  connected_account_id: string;
  connection_policy: PolicyDocument | null;
  account_policy: PolicyDocument | null;
  /** Both layers apply; `null` when neither exists. */
  layers: PolicyDocument[];
}

interface Stored {
  document: PolicyDocument;
  updatedAt: number;
}

/**
 * Policies as data (docs/policies.md), and their warm cache: every policy is held in memory
 * (they are few: one per connection, one per narrowed account), so checking a call sends no SQL.
 * A write reloads this instance's cache before it answers, and announces itself on the change
 * feed, which other instances hear through Postgres LISTEN/NOTIFY and reload within a second.
 *
 * The hot path is `effectiveFor`: with no policy anywhere, one boolean; otherwise one map lookup
 * per call, the account's compiled effective policy computed on its first call after a change.
 */
export class PoliciesService {
  readonly #store: Store;
  readonly #clock: Clock;
  /** Every policy change (docs/audit.md): policy.set / policy.delete, on a connection or an account. */
  readonly #audit: AuditRecorder | undefined;
  readonly #changes: ChangeFeed;
  readonly #onError: (error: unknown) => void;
  #connections = new Map<string, Stored>();
  #accounts = new Map<string, Stored>();
  /** Compiled, per connection (accounts without their own policy) and per account with one. */
  #byConnection = new Map<string, EffectivePolicy | null>();
  #byAccount = new Map<string, EffectivePolicy>();
  #none = true;
  #running: Promise<void> | undefined;
  #closed = false;
  #queued: Promise<void> | undefined;

  constructor(deps: { store: Store; clock: Clock; changes: ChangeFeed; onError: (error: unknown) => void; audit?: AuditRecorder | undefined }) {
    this.#audit = deps.audit;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#onError = deps.onError;
    // A reload that fails (the database blinked) is tried again a second later: a change must
    // not stay unheard until the next one.
    const reload = (): void =>
      void this.reload().catch((error: unknown) => {
        if (this.#closed) return;
        this.#onError(error);
        setTimeout(reload, 1000).unref();
      });
    deps.changes.onPolicyChanged(reload);
    // A connection renamed or deleted, or a relay that reconnected (it may have missed changes).
    deps.changes.onConfigChanged(reload);
  }

  /** Stops retrying failed reloads (the server is shutting down). */
  close(): void {
    this.#closed = true;
  }

  /** True while no connection or account has a policy: the policy step then costs nothing. */
  get none(): boolean {
    return this.#none;
  }

  /**
   * The hot path: the effective policy of a call on this account, or null. No SQL. An account
   * without a policy of its own shares its connection's compiled policy (100,000 accounts are
   * not 100,000 compiled copies); one with its own gets its own, compiled on its first call.
   */
  effectiveFor(connectionName: string, accountId: string): EffectivePolicy | null {
    if (this.#none) return null;
    const own = this.#accounts.size === 0 ? undefined : this.#accounts.get(accountId);
    if (own === undefined) {
      let shared = this.#byConnection.get(connectionName);
      if (shared === undefined) {
        const connection = this.#connections.get(connectionName);
        shared = connection === undefined ? null : compileEffective([connection.document]);
        this.#byConnection.set(connectionName, shared);
      }
      return shared;
    }
    let effective = this.#byAccount.get(accountId);
    if (effective === undefined) {
      const connection = this.#connections.get(connectionName);
      effective = compileEffective(connection === undefined ? [own.document] : [connection.document, own.document])!;
      this.#byAccount.set(accountId, effective);
    }
    return effective;
  }

  /** The stored layers of an account (connection first), for a call that brings one more (an MCP token's). */
  layersFor(connectionName: string, accountId: string): PolicyDocument[] {
    const layers: PolicyDocument[] = [];
    const connection = this.#connections.get(connectionName);
    if (connection) layers.push(connection.document);
    const own = this.#accounts.get(accountId);
    if (own) layers.push(own.document);
    return layers;
  }

  /** Reads every policy again (coalesced: a reload asked for while one runs runs once after it). */
  reload(): Promise<void> {
    if (this.#running) {
      this.#queued ??= this.#running.catch(() => undefined).then(() => {
        this.#queued = undefined;
        return this.reload();
      });
      return this.#queued;
    }
    this.#running = this.#load().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async getConnectionPolicy(connectionName: string): Promise<PolicyView> {
    await this.#connectionId(connectionName);
    return view(this.#connections.get(connectionName));
  }

  /** `actor`, here and below: who asked (the audit trail's entry); none: `system`. */
  async setConnectionPolicy(connectionName: string, value: unknown, actor?: Actor): Promise<PolicyView> {
    const document = parsePolicy(value);
    const connectionId = await this.#connectionId(connectionName);
    await this.#store.policies.putConnection(connectionId, JSON.stringify(document), this.#clock());
    this.#audit?.record({ actor, action: 'policy.set', target: { type: 'connection', id: connectionName }, details: { rules: Object.keys(document).length } });
    await this.#changed();
    return view(this.#connections.get(connectionName));
  }

  async deleteConnectionPolicy(connectionName: string, actor?: Actor): Promise<void> {
    const connectionId = await this.#connectionId(connectionName);
    await this.#store.policies.deleteConnection(connectionId);
    this.#audit?.record({ actor, action: 'policy.delete', target: { type: 'connection', id: connectionName } });
    await this.#changed();
  }

  async getAccountPolicy(accountId: string): Promise<PolicyView> {
    await this.#account(accountId);
    return view(this.#accounts.get(accountId));
  }

  /** Refused with POLICY_WIDENS when it would widen its connection's policy. */
  async setAccountPolicy(accountId: string, value: unknown, actor?: Actor): Promise<PolicyView> {
    const document = parsePolicy(value);
    const { connectionName } = await this.#account(accountId);
    assertNarrows(document, this.#connections.get(connectionName)?.document ?? null);
    await this.#store.policies.putAccount(accountId, JSON.stringify(document), this.#clock());
    this.#audit?.record({ actor, action: 'policy.set', target: { type: 'account', id: accountId }, details: { rules: Object.keys(document).length } });
    await this.#changed();
    return view(this.#accounts.get(accountId));
  }

  async deleteAccountPolicy(accountId: string, actor?: Actor): Promise<void> {
    await this.#account(accountId);
    await this.#store.policies.deleteAccount(accountId);
    this.#audit?.record({ actor, action: 'policy.delete', target: { type: 'account', id: accountId } });
    await this.#changed();
  }

  /** The layers a call on this account is checked against (an MCP token's, if any, comes on top). */
  async effectiveView(accountId: string): Promise<EffectivePolicyView> {
    const { connectionName } = await this.#account(accountId);
    const connection = this.#connections.get(connectionName)?.document ?? null;
    const account = this.#accounts.get(accountId)?.document ?? null;
    return {
      connection_name: connectionName,
      connected_account_id: accountId,
      connection_policy: connection,
      account_policy: account,
      layers: [connection, account].filter((layer): layer is PolicyDocument => layer !== null),
    };
  }

  /** The connection's policy, for checking a narrowing one (an MCP session token's). */
  connectionPolicy(connectionName: string): PolicyDocument | null {
    return this.#connections.get(connectionName)?.document ?? null;
  }

  async #changed(): Promise<void> {
    // Announce (other instances reload on hearing it), then make sure this one has reloaded
    // before the write is answered: the next call here sees the new policy.
    this.#changes.policyChanged();
    await this.reload();
  }

  async #load(): Promise<void> {
    const { connections, accounts } = await this.#store.policies.listAll();
    this.#connections = new Map(connections.map((row) => [row.connection_name, stored(row.document, row.updated_at)]));
    this.#accounts = new Map(accounts.map((row) => [row.account_id, stored(row.document, row.updated_at)]));
    this.#byConnection = new Map();
    this.#byAccount = new Map();
    this.#none = connections.length === 0 && accounts.length === 0;
  }

  async #connectionId(name: string): Promise<string> {
    const row = await this.#store.connections.findByName(name);
    if (!row) throw new ToolproxyError('CONNECTION_NOT_FOUND', { details: { connection_name: name } });
    return row.id;
  }

  async #account(accountId: string): Promise<{ connectionName: string }> {
    const row = await this.#store.accounts.findById(accountId);
    if (!row) throw new ToolproxyError('ACCOUNT_NOT_FOUND', { details: { id: accountId } });
    const connection = await this.#store.connections.findById(row.connection_id);
    if (!connection) throw new ToolproxyError('ACCOUNT_NOT_FOUND', { details: { id: accountId } });
    return { connectionName: connection.name };
  }
}

function stored(document: string, updatedAt: number): Stored {
  return { document: JSON.parse(document) as PolicyDocument, updatedAt };
}

function view(entry: Stored | undefined): PolicyView {
  return entry === undefined ? { policy: null, updated_at: null } : { policy: entry.document, updated_at: new Date(entry.updatedAt).toISOString() };
}
