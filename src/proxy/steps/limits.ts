import type { Call } from '../call.ts';
import type { ConcurrencyLimiter } from '../concurrency-limiter.ts';
import type { PipelineStep } from '../pipeline.ts';

/**
 * P19: a slot of the account and of its connection, taken before the body is read or anything
 * goes upstream (a waiting call costs no more than its socket), and given back exactly once
 * when the call is over, whatever ended it: a leaked slot would shrink the limit for good.
 */
export class LimitsStep implements PipelineStep {
  readonly name = 'limits';
  readonly #limiter: ConcurrencyLimiter;

  constructor(limiter: ConcurrencyLimiter) {
    this.#limiter = limiter;
  }

  run(call: Call): void | Promise<void> {
    const account = call.account!;
    const acquired = this.#limiter.acquire(account.connectionName, account.identifier, call.control.signal);
    if (!(acquired instanceof Promise)) {
      call.slot = acquired;
      return undefined;
    }
    // Only a call that has to wait pays for a promise and a closure.
    return acquired.then((slot) => void (call.slot = slot));
  }

  finish(call: Call): void {
    if (call.slot !== undefined) this.#limiter.release(call.slot);
  }
}
