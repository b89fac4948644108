import { randomFillSync } from 'node:crypto';

/**
 * Execution ids (`ex_` and 20 base64url characters: 120 random bits, as ids.ts makes ids), one
 * per tool call. Drawn from a pool of random bytes filled 4 KiB at a time: a call to the CSPRNG
 * per tool call costs more than the rest of making the id.
 */
const ID_BYTES = 15;
const POOL_BYTES = ID_BYTES * 273;

class ExecutionIds {
  readonly #pool = Buffer.allocUnsafe(POOL_BYTES);
  #offset = POOL_BYTES;

  next(): string {
    if (this.#offset === POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const start = this.#offset;
    this.#offset += ID_BYTES;
    return `ex_${this.#pool.toString('base64url', start, start + ID_BYTES)}`;
  }
}

export const executionIds = new ExecutionIds();
