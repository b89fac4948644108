import { EventEmitter } from 'node:events';

/**
 * In-process change notifications, so caches (the proxy's resolved accounts) drop what a write
 * made stale at once. Other instances converge through the caches' short TTL.
 */
export class ChangeFeed {
  readonly #events = new EventEmitter();

  /** A connected account's status, credentials or config changed, or it was deleted. */
  accountChanged(connectionName: string, identifier: string): void {
    this.#events.emit('account', connectionName, identifier);
  }

  /** A connector or connection changed: anything derived from them may be stale. */
  configChanged(): void {
    this.#events.emit('config');
  }

  onAccountChanged(listener: (connectionName: string, identifier: string) => void): void {
    this.#events.on('account', listener);
  }

  onConfigChanged(listener: () => void): void {
    this.#events.on('config', listener);
  }
}
