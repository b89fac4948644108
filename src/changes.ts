import { EventEmitter } from 'node:events';

/** What a write made stale, as told to caches in this process and to other instances. */
export type Change =
  | { kind: 'account'; connectionName: string; identifier: string }
  | { kind: 'config' }
  /** An MCP server config was updated or deleted (its mappings, hence its tools, may differ). */
  | { kind: 'mcp_config'; configId: string }
  /** A connection's or an account's policy was set or deleted (src/policy). */
  | { kind: 'policy' }
  /** An approval was decided (approved or denied): a caller waiting for it re-reads it (src/approvals). */
  | { kind: 'approval'; approvalId: string };

/**
 * Change notifications, so caches (the proxy's resolved accounts) drop what a write made stale.
 * Listeners in this process hear a change at once, synchronously. With a publisher attached
 * (Postgres LISTEN/NOTIFY, src/store/postgres-change-relay.ts) other instances hear it too and
 * hand it back through `emitLocally`; the caches' TTL is only the safety net behind that.
 */
export class ChangeFeed {
  readonly #events = new EventEmitter();
  #publish: ((change: Change) => void) | undefined;

  /** A connected account's status, credentials or config changed, or it was deleted. */
  accountChanged(connectionName: string, identifier: string): void {
    this.#events.emit('account', connectionName, identifier);
    this.#publish?.({ kind: 'account', connectionName, identifier });
  }

  /** A connector or connection changed: anything derived from them may be stale. */
  configChanged(): void {
    this.#events.emit('config');
    this.#publish?.({ kind: 'config' });
  }

  /** An MCP server config changed or was deleted. */
  mcpConfigChanged(configId: string): void {
    this.#events.emit('mcp_config', configId);
    this.#publish?.({ kind: 'mcp_config', configId });
  }

  /** A policy was set or deleted: the policies' cache reloads. */
  policyChanged(): void {
    this.#events.emit('policy');
    this.#publish?.({ kind: 'policy' });
  }

  onPolicyChanged(listener: () => void): void {
    this.#events.on('policy', listener);
  }

  /** An approval was approved or denied. */
  approvalDecided(approvalId: string): void {
    this.#events.emit('approval', approvalId);
    this.#publish?.({ kind: 'approval', approvalId });
  }

  onApprovalDecided(listener: (approvalId: string) => void): void {
    this.#events.on('approval', listener);
  }

  onMcpConfigChanged(listener: (configId: string) => void): void {
    this.#events.on('mcp_config', listener);
  }

  onAccountChanged(listener: (connectionName: string, identifier: string) => void): void {
    this.#events.on('account', listener);
  }

  onConfigChanged(listener: () => void): void {
    this.#events.on('config', listener);
  }

  /**
   * Hands every change made here to `publish` too, after the local listeners ran. `publish`
   * must not throw nor wait: it runs on the write's path.
   */
  publishTo(publish: (change: Change) => void): void {
    if (this.#publish) throw new Error('the change feed already has a publisher');
    this.#publish = publish;
  }

  /** A change made elsewhere (another instance), or a reset: local listeners only, never published. */
  emitLocally(change: Change): void {
    if (change.kind === 'account') this.#events.emit('account', change.connectionName, change.identifier);
    else if (change.kind === 'mcp_config') this.#events.emit('mcp_config', change.configId);
    else if (change.kind === 'policy') this.#events.emit('policy');
    else if (change.kind === 'approval') this.#events.emit('approval', change.approvalId);
    else this.#events.emit('config');
  }
}
