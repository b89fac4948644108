import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { Actor } from '../actor.ts';
import type { AuditRecorder } from '../audit/audit-entry.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import { isToolproxyError, ToolproxyError } from '../errors.ts';
import type { CallContext, Door, PipelineRequest } from '../proxy/call.ts';
import type { CollectedResponse } from '../proxy/sinks.ts';
import type { Page } from '../store/repositories.ts';
import type { ApprovalRow, ApprovalStatus, Database } from '../store/schema.ts';
import type { Vault } from '../vault/vault.ts';
import { type ApprovalRequestView, type ApprovalView, effectiveStatus, encodeBody, toApprovalView } from './approval-view.ts';
import { type ApprovalRepository, approvalsRepository } from './approvals-repository.ts';
import { DecisionWaiters } from './decision-waiters.ts';

/** What the approvals service runs an approved call through: the proxy pipeline (`pipeline.collect`). */
export interface ApprovalRunner {
  collect(request: PipelineRequest, context: CallContext, maxBytes: number): Promise<CollectedResponse>;
}

/** What the approval step stores for a call it holds. */
export interface NewApproval {
  accountId: string;
  connectionName: string;
  identifier: string;
  method: string;
  path: string;
  /** The headers that would go upstream, credentials excluded (the header policy's output). */
  headers: Record<string, string | string[]>;
  body: Buffer | null;
  door: Door;
  toolName: string | null;
  executionId: string | null;
  requestedBy: Actor | null;
  rule: string;
  waiting: boolean;
}

/** What an approved call returned to whoever ran it (the approver, or `execute`). */
export type Execution =
  | { status: number; headers: Record<string, string | string[]>; body: string | null; body_encoding: 'utf8' | 'base64' | null; truncated: boolean }
  | { status: number; error: { code: string; message: string } };

export interface Decision {
  approval: ApprovalView;
  /** The call's answer when this request ran it; null when a waiting caller runs it (or it was denied). */
  execution: Execution | null;
}

export interface ApprovalsServiceDeps {
  db: Kysely<Database>;
  vault: Vault;
  clock: Clock;
  changes: ChangeFeed;
  /** TOOLPROXY_APPROVAL_TTL_SECONDS in ms. */
  ttlMs: number;
  publicUrl: string;
  /** The largest answer an approver's request returns (the rest is cut, `truncated`). */
  responseMaxBytes: number;
  log?: { error(object: object, message: string): void };
  /** The audit trail: an approval asked for and each decision (docs/audit.md). */
  audit?: AuditRecorder | undefined;
}

/** Who runs an approved call whose waiting caller left. */
const WAITER_GONE: Actor = { type: 'system', id: 'approval-waiter-gone' };

export function actorText(actor: Actor | null): string | null {
  return actor === null ? null : `${actor.type}:${actor.id}`;
}

/**
 * Human approval (docs/approvals.md): calls a policy rule holds, their decision, and running an
 * approved call exactly once. Every transition is one conditional UPDATE (approvals-repository.ts),
 * so it holds across instances and restarts: who wins the claim (APPROVED → EXECUTING) runs the
 * call; anyone else is refused with APPROVAL_USED.
 */
export class ApprovalsService {
  readonly repository: ApprovalRepository;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #changes: ChangeFeed;
  readonly #ttlMs: number;
  readonly #publicUrl: string;
  readonly #responseMaxBytes: number;
  readonly #log: ApprovalsServiceDeps['log'];
  readonly #audit: AuditRecorder | undefined;
  readonly #waiters: DecisionWaiters;
  #runner: ApprovalRunner | undefined;

  constructor(deps: ApprovalsServiceDeps) {
    this.repository = approvalsRepository(deps.db);
    this.#vault = deps.vault;
    this.#clock = deps.clock;
    this.#changes = deps.changes;
    this.#ttlMs = deps.ttlMs;
    this.#publicUrl = deps.publicUrl;
    this.#responseMaxBytes = deps.responseMaxBytes;
    this.#log = deps.log;
    this.#audit = deps.audit;
    this.#waiters = new DecisionWaiters({ changes: deps.changes, clock: deps.clock, read: (id) => this.repository.findById(id), log: deps.log });
  }

  /** The pipeline exists only after its steps (this service is behind one): the server hands it over here. */
  attachRunner(runner: ApprovalRunner): void {
    this.#runner = runner;
  }

  view(row: ApprovalRow): ApprovalView {
    return toApprovalView(row, this.#clock(), this.#publicUrl);
  }

  /** Stores a held call, its body encrypted and bound to the row. */
  async request(input: NewApproval): Promise<ApprovalRow> {
    const id = `apr_${randomBytes(15).toString('base64url')}`;
    const now = this.#clock();
    const row: ApprovalRow = {
      id,
      status: 'PENDING',
      account_id: input.accountId,
      connection_name: input.connectionName,
      identifier: input.identifier,
      method: input.method,
      path: input.path,
      headers: this.#vault.encryptJson(input.headers, { table: 'approvals', rowId: id, column: 'headers' }),
      body: input.body === null ? null : this.#vault.encrypt(input.body.toString('base64'), { table: 'approvals', rowId: id, column: 'body' }),
      body_bytes: input.body?.length ?? 0,
      door: input.door,
      tool_name: input.toolName,
      execution_id: input.executionId,
      requested_by: actorText(input.requestedBy),
      rule: input.rule,
      waiting: input.waiting ? 1 : 0,
      created_at: now,
      expires_at: now + this.#ttlMs,
      decided_by: null,
      decided_at: null,
      executed_by: null,
      executed_at: null,
      result_status: null,
      result_error: null,
    };
    await this.repository.insert(row);
    this.#audit?.record({
      action: 'approval.request',
      target: { type: 'approval', id },
      actor: input.requestedBy,
      details: { connection: input.connectionName, method: input.method, rule: input.rule, tool: input.toolName ?? null },
    });
    return row;
  }

  async list(options: { status?: ApprovalStatus | undefined; pageSize: number; pageToken: string | null }): Promise<Page<ApprovalView>> {
    // The sweep: pending approvals whose time is up are marked before anyone reads the list.
    await this.repository.expireDue(this.#clock());
    const page = await this.repository.list({ pageSize: options.pageSize, pageToken: options.pageToken }, options.status === undefined ? {} : { status: options.status });
    return { items: page.items.map((row) => this.view(row)), nextPageToken: page.nextPageToken };
  }

  /**
   * The approval and, for the approver, the call as it would go upstream (never an injected
   * credential); `retained` is false once the call ran, was denied or expired (its headers and body are deleted then).
   */
  async get(id: string): Promise<{ approval: ApprovalView; request: ApprovalRequestView }> {
    const row = await this.#find(id);
    const headers = this.#headers(row);
    return { approval: this.view(row), request: { retained: headers !== null, headers: headers ?? {}, ...encodeBody(this.#body(row)) } };
  }

  /**
   * Approves a pending approval. When its caller is waiting, the caller runs the call (and this
   * returns no execution); otherwise this request runs it, once, and returns its answer.
   */
  async approve(id: string, actor: Actor | null): Promise<Decision> {
    const decided = await this.repository.decide(id, 'APPROVED', actorText(actor) ?? 'unknown', this.#clock());
    if (decided === undefined) throw await this.#refusal(id, 'decide');
    this.#audit?.record({ action: 'approval.decide', target: { type: 'approval', id }, actor, outcome: 'approved' });
    this.#changes.approvalDecided(id);
    if (decided.waiting === 1) return { approval: this.view(decided), execution: null };
    const claimed = await this.repository.claim(id, actorText(actor) ?? 'unknown', this.#clock());
    // Someone ran it between our decision and our claim (POST …/execute on another instance).
    if (claimed === undefined) return { approval: this.view((await this.repository.findById(id))!), execution: null };
    return this.#run(claimed, actor);
  }

  async deny(id: string, actor: Actor | null): Promise<Decision> {
    const decided = await this.repository.decide(id, 'DENIED', actorText(actor) ?? 'unknown', this.#clock());
    if (decided === undefined) throw await this.#refusal(id, 'decide');
    this.#audit?.record({ action: 'approval.decide', target: { type: 'approval', id }, actor, outcome: 'denied' });
    this.#changes.approvalDecided(id);
    return { approval: this.view(decided), execution: null };
  }

  /**
   * Runs an approved call nobody has run yet (its waiting caller left, or its instance stopped
   * before it could): the claim makes it once, whoever asks and wherever.
   */
  async execute(id: string, actor: Actor | null): Promise<Decision> {
    const claimed = await this.repository.claim(id, actorText(actor) ?? 'unknown', this.#clock());
    if (claimed === undefined) throw await this.#refusal(id, 'execute');
    return this.#run(claimed, actor);
  }

  /**
   * Waits until the approval is decided (the row as decided), or until `ms` passed or `signal`
   * aborted (undefined); see DecisionWaiters.
   */
  waitForDecision(id: string, ms: number, signal: AbortSignal): Promise<ApprovalRow | undefined> {
    return this.#waiters.wait(id, ms, signal);
  }

  /** See ApprovalRepository.stopWaiting. */
  stopWaiting(id: string): Promise<boolean> {
    return this.repository.stopWaiting(id);
  }

  /** The waiting caller takes the approved call to run it in its own request. */
  claim(id: string, by: string): Promise<ApprovalRow | undefined> {
    return this.repository.claim(id, by, this.#clock());
  }

  /** Records what the call returned (EXECUTING → EXECUTED); never throws. */
  async finish(id: string, outcome: { status: number; error: string | null }): Promise<void> {
    try {
      await this.repository.finish(id, outcome);
    } catch (error) {
      this.#log?.error({ err: error, approval_id: id }, 'recording an approved call\'s outcome failed');
    }
  }

  /** Runs an approved call whose waiting caller left after it was approved; logs, never throws. */
  runDetached(id: string): void {
    this.execute(id, WAITER_GONE).catch((error: unknown) => {
      if (!(isToolproxyError(error) && error.code === 'APPROVAL_USED')) this.#log?.error({ err: error, approval_id: id }, 'running an approved call failed');
    });
  }

  /** The same, for a call its waiting caller had already claimed when it left. */
  runClaimedDetached(row: ApprovalRow): void {
    this.#run(row, WAITER_GONE).catch((error: unknown) => this.#log?.error({ err: error, approval_id: row.id }, 'running an approved call failed'));
  }

  async #run(row: ApprovalRow, actor: Actor | null): Promise<Decision> {
    if (this.#runner === undefined) throw new Error('the approvals service has no pipeline to run calls through');
    const request: PipelineRequest = {
      method: row.method,
      routing: { accountId: row.account_id },
      pathAndQuery: row.path,
      headers: this.#headers(row) ?? {},
      body: this.#body(row),
      retries: 0,
    };
    const context: CallContext = { door: 'approval', actor, toolName: row.tool_name ?? undefined, executionId: row.execution_id ?? undefined, approvalId: row.id };
    let execution: Execution;
    try {
      const answer = await this.#runner.collect(request, context, this.#responseMaxBytes);
      execution = { status: answer.status, headers: answer.headers as Record<string, string | string[]>, ...encodeBody(answer.body), truncated: answer.truncated };
      await this.finish(row.id, { status: answer.status, error: null });
    } catch (error) {
      const mapped = isToolproxyError(error) ? error : new ToolproxyError('INTERNAL_ERROR', { cause: error });
      execution = { status: mapped.statusCode, error: { code: mapped.code, message: mapped.toBody().error.message } };
      await this.finish(row.id, { status: mapped.statusCode, error: mapped.code });
    }
    return { approval: this.view((await this.repository.findById(row.id)) ?? row), execution };
  }

  #headers(row: ApprovalRow): Record<string, string | string[]> | null {
    return row.headers === null ? null : this.#vault.decryptJson<Record<string, string | string[]>>(row.headers, { table: 'approvals', rowId: row.id, column: 'headers' });
  }

  #body(row: ApprovalRow): Buffer | null {
    if (row.body === null) return null;
    return Buffer.from(this.#vault.decrypt(row.body, { table: 'approvals', rowId: row.id, column: 'body' }), 'base64');
  }

  async #find(id: string): Promise<ApprovalRow> {
    const row = await this.repository.findById(id);
    if (row === undefined) throw new ToolproxyError('APPROVAL_NOT_FOUND', { details: { approval_id: id.slice(0, 100) } });
    return row;
  }

  /** Why a decision or an execution did not apply, from the row as it is now. */
  async #refusal(id: string, action: 'decide' | 'execute'): Promise<ToolproxyError> {
    const row = await this.#find(id);
    const status = effectiveStatus(row, this.#clock());
    const details = { approval_id: row.id, status };
    switch (status) {
      case 'EXPIRED':
        if (row.status === 'PENDING') await this.repository.expireDue(this.#clock());
        return new ToolproxyError('APPROVAL_EXPIRED', { details: { ...details, expired_at: new Date(Number(row.expires_at)).toISOString() } });
      case 'EXECUTING':
      case 'EXECUTED':
        return new ToolproxyError('APPROVAL_USED', { details });
      case 'PENDING':
        return new ToolproxyError('APPROVAL_PENDING', { details });
      case 'DENIED':
        return new ToolproxyError(action === 'execute' ? 'APPROVAL_DENIED' : 'APPROVAL_ALREADY_DECIDED', { details });
      case 'APPROVED':
        return new ToolproxyError('APPROVAL_ALREADY_DECIDED', { details });
    }
  }
}
