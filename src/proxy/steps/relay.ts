import type { Call } from '../call.ts';
import { upstreamError } from '../forwarder.ts';
import { forwardableResponseHeaders } from '../header-policy.ts';
import type { PipelineLog, PipelineStep } from '../pipeline.ts';

/**
 * Hands the upstream's answer to the door's sink: the status, the headers a caller may see (P15)
 * and the body, streamed or collected. A body that breaks off after the status line (upstream
 * reset, body timeout, the total deadline, the caller gone) cannot become an error answer any
 * more: its cause goes into the record and `call.error`.
 */
export class RelayStep implements PipelineStep {
  readonly name = 'relay';
  readonly #log: PipelineLog;

  constructor(log: PipelineLog) {
    this.#log = log;
  }

  async run(call: Call): Promise<void> {
    const response = call.response!;
    const record = call.record;
    record.status = response.statusCode;
    const relayed = await call.sink.deliver(response.statusCode, forwardableResponseHeaders(response.headers), response.body);
    record.bytesOut = relayed.bytes;
    if (relayed.error === undefined) return;
    response.body.destroy();
    call.sink.abort();
    if (call.control.callerGone) {
      record.errorCode = 'CLIENT_CLOSED';
      call.error = call.control.reason as Error;
      return;
    }
    const error = upstreamError(relayed.error);
    record.errorCode = error.code;
    call.error = error;
    this.#log.warn({ code: error.code, account: call.account!.accountId }, 'proxied response aborted');
  }
}
