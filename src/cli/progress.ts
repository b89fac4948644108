import type { Writable } from 'node:stream';

export interface ProgressStream extends Writable {
  isTTY?: boolean;
  columns?: number;
}

/**
 * Progress of a long operation on stderr: a bar redrawn in place on a terminal, one plain line
 * per update otherwise (logs and pipes read those; a test waits for the first one).
 */
export class Progress {
  readonly #stream: ProgressStream;
  readonly #label: string;
  #drawn = false;

  constructor(stream: ProgressStream, label: string) {
    this.#stream = stream;
    this.#label = label;
  }

  update(done: number, total: number, note = ''): void {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (this.#stream.isTTY) {
      const width = Math.max(10, Math.min(40, (this.#stream.columns ?? 80) - 40));
      const filled = Math.round((percent / 100) * width);
      this.#stream.write(`\r${this.#label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${percent}% ${done}/${total}${note ? ` ${note}` : ''}\u001b[K`);
      this.#drawn = true;
    } else {
      this.#stream.write(`${this.#label}: ${done}/${total} (${percent}%)${note ? ` ${note}` : ''}\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    if (this.#drawn) this.#stream.write('\n');
    this.#drawn = false;
  }
}
