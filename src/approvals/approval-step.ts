import type { Readable } from 'node:stream';
import { ToolproxyError } from '../errors.ts';
import { type Call, CallState } from '../proxy/call.ts';
import { forwardableRequestHeaders } from '../proxy/header-policy.ts';
import type { PipelineStep } from '../proxy/pipeline.ts';
import type { ApprovalRow } from '../store/schema.ts';
import { approvalUrl } from './approval-view.ts';
import { actorText, type ApprovalsService } from './approvals-service.ts';

/** The policy's `require_approval` rule that matches a call, or null (issue 14's policies supply it). */
export type ApprovalRequirement = (call: Call) => { rule: string } | null;

/** The header a caller sends to hold its call open for the decision, in seconds. */
export const WAIT_HEADER = 'x-toolproxy-approval-wait';
export const MAX_WAIT_SECONDS = 60;

export interface ApprovalStepOptions {
  service: ApprovalsService;
  requirement: ApprovalRequirement;
  /** The largest body a held call may have (TOOLPROXY_BODY_LIMIT_BYTES): it is read to be stored. */
  maxBodyBytes: number;
  publicUrl: string;
}

/** The approval a waiting caller claimed and runs in its own request: its outcome is recorded at the end. */
const running = new CallState<string>('approval');

/**
 * The pipeline's `approval` step (docs/approvals.md). A call the requirement matches is stored
 * (body encrypted) and refused with APPROVAL_REQUIRED, nothing sent upstream; or, when the caller
 * sends `x-toolproxy-approval-wait: <seconds>` (at most 60), held until a person decides: approved,
 * the caller claims it and the pipeline runs it on; denied, APPROVAL_DENIED; undecided in time,
 * APPROVAL_REQUIRED as without waiting. A call the approvals service runs after approving it
 * (context.approvalId) is let through. A call no rule matches costs one function call.
 */
export class ApprovalStep implements PipelineStep {
  readonly name = 'approval';
  readonly #service: ApprovalsService;
  readonly #requirement: ApprovalRequirement;
  readonly #maxBodyBytes: number;
  readonly #publicUrl: string;

  constructor(options: ApprovalStepOptions) {
    this.#service = options.service;
    this.#requirement = options.requirement;
    this.#maxBodyBytes = options.maxBodyBytes;
    this.#publicUrl = options.publicUrl;
  }

  run(call: Call): void | Promise<void> {
    if (call.context.approvalId !== undefined) return undefined;
    const required = this.#requirement(call);
    if (required === null) return undefined;
    return this.#hold(call, required.rule);
  }

  finish(call: Call): void {
    const id = running.get(call);
    if (id !== undefined) void this.#service.finish(id, { status: call.record.status, error: call.record.errorCode });
  }

  async #hold(call: Call, rule: string): Promise<void> {
    const waitSeconds = requestedWait(call.request.headers[WAIT_HEADER]);
    const body = await readBody(call, this.#maxBodyBytes);
    // The stream is spent: the bytes go on instead, should the call run in this request.
    call.request.body = body;
    call.record.bytesIn = body?.length ?? 0;
    const account = call.account!;
    const approval = await this.#service.request({
      accountId: account.accountId,
      connectionName: account.connectionName,
      identifier: account.identifier,
      method: call.method,
      path: call.request.pathAndQuery,
      headers: forwardableRequestHeaders(call.request.headers, account.droppedHeaders),
      body,
      door: call.context.door,
      toolName: call.context.toolName ?? null,
      executionId: call.context.executionId ?? null,
      requestedBy: call.context.actor,
      rule,
      waiting: waitSeconds > 0,
    });
    if (waitSeconds === 0) throw this.#required(approval);
    const signal = call.control.signal;
    let decided = await this.#service.waitForDecision(approval.id, waitSeconds * 1000, signal);
    if (decided === undefined) {
      // Out of time or the caller left: while still pending, the approver will run the call.
      if (await this.#service.stopWaiting(approval.id)) {
        if (call.control.aborted) throw call.control.reason;
        throw this.#required(approval, waitSeconds);
      }
      // Decided in the meantime, expecting us to run it.
      decided = (await this.#service.repository.findById(approval.id))!;
      if (call.control.aborted) {
        if (decided.status === 'APPROVED') this.#service.runDetached(approval.id);
        throw call.control.reason;
      }
    }
    if (decided.status === 'DENIED') {
      throw new ToolproxyError('APPROVAL_DENIED', { details: { approval_id: approval.id, decided_by: decided.decided_by } });
    }
    if (decided.status === 'EXPIRED' || decided.status === 'PENDING') {
      throw new ToolproxyError('APPROVAL_EXPIRED', { details: { approval_id: approval.id } });
    }
    const claimed = await this.#service.claim(approval.id, actorText(call.context.actor) ?? 'waiting_caller');
    if (claimed === undefined) throw new ToolproxyError('APPROVAL_USED', { details: { approval_id: approval.id } });
    if (call.control.aborted) {
      // The caller left while we claimed it: the approved call still runs, once, without it.
      this.#service.runClaimedDetached(claimed);
      throw call.control.reason;
    }
    running.set(call, approval.id);
  }

  #required(approval: ApprovalRow, waitedSeconds?: number): ToolproxyError {
    return new ToolproxyError('APPROVAL_REQUIRED', {
      details: {
        approval_id: approval.id,
        approval_url: approvalUrl(this.#publicUrl, approval.id),
        expires_at: new Date(Number(approval.expires_at)).toISOString(),
        rule: approval.rule,
        ...(waitedSeconds === undefined ? {} : { waited_seconds: waitedSeconds }),
      },
    });
  }
}

/** `x-toolproxy-approval-wait`: absent is 0; otherwise a whole number of seconds from 0 to 60. */
export function requestedWait(value: string | string[] | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'string' || !/^\d{1,3}$/.test(value.trim()) || Number(value) > MAX_WAIT_SECONDS) {
    throw new ToolproxyError('VALIDATION_FAILED', {
      message: `${WAIT_HEADER} must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}.`,
      details: [{ path: `/headers/${WAIT_HEADER}`, message: `must be a whole number from 0 to ${MAX_WAIT_SECONDS}` }],
    });
  }
  return Number(value);
}

/** The call's body in memory, refused with PAYLOAD_TOO_LARGE past `max` bytes (declared or counted). */
async function readBody(call: Call, max: number): Promise<Buffer | null> {
  const body = call.request.body;
  if (body === null || Buffer.isBuffer(body)) {
    if (body !== null && body.length > max) throw tooLarge(max);
    return body;
  }
  const declared = call.request.headers['content-length'];
  if (typeof declared === 'string' && Number(declared) > max) throw tooLarge(max);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body as Readable) {
    bytes += (chunk as Buffer).length;
    if (bytes > max) {
      body.destroy();
      throw tooLarge(max);
    }
    chunks.push(chunk as Buffer);
  }
  return bytes === 0 && declared === undefined ? null : Buffer.concat(chunks, bytes);
}

function tooLarge(max: number): ToolproxyError {
  return new ToolproxyError('PAYLOAD_TOO_LARGE', { message: `A call held for approval is stored with its body, which may be at most ${max} bytes (TOOLPROXY_BODY_LIMIT_BYTES).`, details: { limit_bytes: max } });
}
