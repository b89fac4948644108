import type { Dispatcher } from 'undici';
import { ToolproxyError } from '../../errors.ts';
import type { Call } from '../call.ts';
import { assertProxyMethod, assertValidHeaders, isProxyMethod } from '../header-policy.ts';
import type { PipelineStep } from '../pipeline.ts';
import { MAX_RETRIES } from '../retry.ts';

/**
 * Refuses what cannot be proxied at all, before anything is looked up: a problem the door found
 * reading the call, a method outside P18's list, and (for requests a tool rendered rather than
 * Node's HTTP parser read) a header name or value outside RFC 9110's grammar (P6).
 */
export class AdmitStep implements PipelineStep {
  readonly name = 'admit';

  run(call: Call): void {
    const request = call.request;
    if (request.refusal !== undefined) throw request.refusal;
    if (!isProxyMethod(request.method)) {
      // `post` from a tool template is POST; CONNECT, TRACE and anything unknown are refused.
      const method = assertProxyMethod(request.method);
      request.method = method;
      call.method = method as Dispatcher.HttpMethod;
      call.record.method = method;
    }
    if (request.headersFromParser !== true) assertValidHeaders(request.headers);
    const retries = request.retries;
    if (!Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) {
      throw new ToolproxyError('VALIDATION_FAILED', { message: `retries must be a whole number from 0 to ${MAX_RETRIES}.`, details: { retries } });
    }
  }
}
