import { type CallOptions, segment, type Transport } from './transport.ts';

export type ApprovalStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'EXPIRED' | 'EXECUTING' | 'EXECUTED';

/** A proxied call held for a person's approval (docs/approvals.md). Listings never carry the body. */
export interface Approval {
  id: string;
  status: ApprovalStatus;
  connectionName: string;
  identifier: string;
  connectedAccountId: string;
  method: string;
  /** Path and query under the connector's proxy_url, as the caller sent it. */
  path: string;
  /** How the call came in: `proxy`, `tool` or `mcp`. */
  door: string;
  toolName: string | null;
  executionId: string | null;
  /** `<type>:<id>` of who made the call. */
  requestedBy: string | null;
  /** The policy rule that asked for approval. */
  rule: string;
  /** The caller holds its request open: once approved, it runs the call (not the approver). */
  callerWaiting: boolean;
  bodyBytes: number;
  /** Where a person decides it in the dashboard. */
  approvalUrl: string;
  createdAt: Date;
  expiresAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  executedBy: string | null;
  executedAt: Date | null;
  /** What the call returned when it ran: the upstream status, or ours when it was refused. */
  resultStatus: number | null;
  resultError: string | null;
}

/** The call an approval holds, as it would go upstream: the credentials go in only when it runs. */
export interface ApprovalRequest {
  /** False once the call ran, was denied or expired: its headers and body were deleted. */
  retained: boolean;
  headers: Record<string, string | string[]>;
  /** Text, or base64 when `bodyEncoding` is `base64`; null without a body. */
  body: string | null;
  bodyEncoding: 'utf8' | 'base64' | null;
}

/** What an approved call returned to the request that ran it. */
export type ApprovalExecution =
  | { status: number; headers: Record<string, string | string[]>; body: string | null; bodyEncoding: 'utf8' | 'base64' | null; truncated: boolean }
  | { status: number; error: { code: string; message: string } };

export interface ApprovalDecision {
  approval: Approval;
  /** The call's answer when this request ran it; null when denied, or when its waiting caller runs it. */
  execution: ApprovalExecution | null;
}

type Wire = Record<string, any>;

/**
 * Human approval: the calls a policy holds until a person approves or denies them. An approved
 * call runs exactly once: in its waiting caller's request, or in the approver's (`approve`
 * returns its answer), or through `execute` when its caller left.
 */
export class Approvals {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * @example
   * const { approvals } = await client.approvals.list({ status: 'PENDING' });
   */
  async list(options: { status?: ApprovalStatus; pageSize?: number; pageToken?: string } & CallOptions = {}): Promise<{ approvals: Approval[]; nextPageToken: string | null }> {
    const body = await this.#transport.json<{ approvals: Wire[]; next_page_token: string | null }>('GET', '/api/v1/approvals', {
      ...options,
      query: { status: options.status, page_size: options.pageSize, page_token: options.pageToken },
    });
    return { approvals: body.approvals.map(toApproval), nextPageToken: body.next_page_token };
  }

  /** The approval and the call it holds (headers and body; never a credential). */
  async get(id: string, options: CallOptions = {}): Promise<{ approval: Approval; request: ApprovalRequest }> {
    const body = await this.#transport.json<{ approval: Wire; request: Wire }>('GET', `/api/v1/approvals/${segment(id)}`, options);
    return { approval: toApproval(body.approval), request: { retained: body.request.retained, headers: body.request.headers, body: body.request.body, bodyEncoding: body.request.body_encoding } };
  }

  /** Approves; raises `APPROVAL_EXPIRED`, `APPROVAL_ALREADY_DECIDED`, `APPROVAL_USED` or `APPROVAL_NOT_FOUND` otherwise. */
  async approve(id: string, options: CallOptions = {}): Promise<ApprovalDecision> {
    return toDecision(await this.#transport.json<Wire>('POST', `/api/v1/approvals/${segment(id)}/approve`, options));
  }

  async deny(id: string, options: CallOptions = {}): Promise<ApprovalDecision> {
    return toDecision(await this.#transport.json<Wire>('POST', `/api/v1/approvals/${segment(id)}/deny`, options));
  }

  /** Runs an approved call nobody ran (its waiting caller left); at most once, `APPROVAL_USED` after. */
  async execute(id: string, options: CallOptions = {}): Promise<ApprovalDecision> {
    return toDecision(await this.#transport.json<Wire>('POST', `/api/v1/approvals/${segment(id)}/execute`, options));
  }
}

const date = (value: string | null): Date | null => (value === null ? null : new Date(value));

function toApproval(wire: Wire): Approval {
  return {
    id: wire.id,
    status: wire.status,
    connectionName: wire.connection_name,
    identifier: wire.identifier,
    connectedAccountId: wire.connected_account_id,
    method: wire.method,
    path: wire.path,
    door: wire.door,
    toolName: wire.tool_name,
    executionId: wire.execution_id,
    requestedBy: wire.requested_by,
    rule: wire.rule,
    callerWaiting: wire.caller_waiting,
    bodyBytes: wire.body_bytes,
    approvalUrl: wire.approval_url,
    createdAt: new Date(wire.created_at),
    expiresAt: new Date(wire.expires_at),
    decidedBy: wire.decided_by,
    decidedAt: date(wire.decided_at),
    executedBy: wire.executed_by,
    executedAt: date(wire.executed_at),
    resultStatus: wire.result_status,
    resultError: wire.result_error,
  };
}

function toDecision(wire: Wire): ApprovalDecision {
  const execution = wire.execution as Wire | null;
  return {
    approval: toApproval(wire.approval),
    execution: execution === null
      ? null
      : 'error' in execution
        ? { status: execution.status, error: execution.error }
        : { status: execution.status, headers: execution.headers, body: execution.body, bodyEncoding: execution.body_encoding, truncated: execution.truncated },
  };
}
