import type { Dispatcher } from 'undici';
import type { Clock } from '../../clock.ts';
import type { Call } from '../call.ts';
import type { Forwarder } from '../forwarder.ts';
import type { PipelineStep } from '../pipeline.ts';
import { prepareBody } from '../request-body.ts';
import { withRetries } from '../retry.ts';
import type { UsageRecorder } from '../usage-recorder.ts';
import type { InjectStep } from './inject.ts';

/**
 * Sends the call upstream (the forwarder: pooled, egress-checked, redirects never followed). The
 * body is read into memory only when the call may be sent again and it fits (request-body.ts):
 * for opt-in retries on 429/502/503/504 (retry.ts), and for OAUTH accounts, whose 401 gets one
 * refresh and one retry (O13). A large or unsized body is streamed once and gets neither.
 */
export class ForwardStep implements PipelineStep {
  readonly name = 'forward';
  readonly #forwarder: Forwarder;
  readonly #usage: UsageRecorder;
  readonly #inject: InjectStep;
  readonly #clock: Clock;

  constructor(deps: { forwarder: Forwarder; usage: UsageRecorder; inject: InjectStep; clock: Clock }) {
    this.#forwarder = deps.forwarder;
    this.#usage = deps.usage;
    this.#inject = deps.inject;
    this.#clock = deps.clock;
  }

  async run(call: Call): Promise<void> {
    const reading = prepareBody(call, call.request.retries > 0 || call.account!.oauth !== undefined);
    if (reading !== undefined) await reading;
    const retries = call.replayable ? call.request.retries : 0;
    if (retries > 0) {
      call.response = await this.#withRetries(call, retries);
    } else {
      // The common case inline: one send, no extra async frame per call.
      const response = await this.#forwarder.send(call);
      call.response = this.#mayRenew(call, response) ? await this.#renewAndResend(call, response) : response;
    }
    this.#usage.mark(call.account!);
  }

  /** O13: a 401 on an OAUTH account whose body can be sent again gets one refresh and one retry. */
  #mayRenew(call: Call, response: Dispatcher.ResponseData): boolean {
    return response.statusCode === 401 && call.account!.oauth !== undefined && call.replayable && this.#inject.canRenew;
  }

  async #renewAndResend(call: Call, rejected: Dispatcher.ResponseData): Promise<Dispatcher.ResponseData> {
    await rejected.body.dump();
    await this.#inject.renewAfterRejection(call);
    return this.#forwarder.send(call);
  }

  async #attempt(call: Call): Promise<Dispatcher.ResponseData> {
    const response = await this.#forwarder.send(call);
    return this.#mayRenew(call, response) ? this.#renewAndResend(call, response) : response;
  }

  async #withRetries(call: Call, retries: number): Promise<Dispatcher.ResponseData> {
    const control = call.control;
    const result = await withRetries(async () => ({ response: await this.#attempt(call) }), retries, control.deadline, {
      now: this.#clock,
      random: Math.random,
      sleep: (ms) => control.sleep(ms),
    });
    return result.response;
  }
}
