import type { ApprovalRow, ApprovalStatus } from '../store/schema.ts';

/** An approval as the API lists it: metadata only, never the body nor a header value. */
export interface ApprovalView {
  id: string;
  status: ApprovalStatus;
  connection_name: string;
  identifier: string;
  connected_account_id: string;
  method: string;
  path: string;
  door: string;
  tool_name: string | null;
  execution_id: string | null;
  /** `<type>:<id>` of who made the call (src/actor.ts). */
  requested_by: string | null;
  rule: string;
  /** True while the caller holds its request open: it runs the call once approved. */
  caller_waiting: boolean;
  body_bytes: number;
  approval_url: string;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  executed_by: string | null;
  executed_at: string | null;
  result_status: number | null;
  result_error: string | null;
}

/** What the approver sees on GET /approvals/{id}: the call as it would go upstream, without credentials. */
export interface ApprovalRequestView {
  /** False once the call ran, was denied or expired: its headers and body were deleted. */
  retained: boolean;
  headers: Record<string, string | string[]>;
  /** The body as UTF-8 text, or base64 when it is not valid UTF-8; null without a body. */
  body: string | null;
  body_encoding: 'utf8' | 'base64' | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** PENDING whose time is up reads as EXPIRED even before a sweep marked it. */
export function effectiveStatus(row: ApprovalRow, now: number): ApprovalStatus {
  return row.status === 'PENDING' && row.expires_at <= now ? 'EXPIRED' : row.status;
}

export function approvalUrl(publicUrl: string, id: string): string {
  return `${publicUrl}/dashboard#/approvals/${encodeURIComponent(id)}`;
}

export function toApprovalView(row: ApprovalRow, now: number, publicUrl: string): ApprovalView {
  const status = effectiveStatus(row, now);
  return {
    id: row.id,
    status,
    connection_name: row.connection_name,
    identifier: row.identifier,
    connected_account_id: row.account_id,
    method: row.method,
    path: row.path,
    door: row.door,
    tool_name: row.tool_name,
    execution_id: row.execution_id,
    requested_by: row.requested_by,
    rule: row.rule,
    caller_waiting: status === 'PENDING' && row.waiting === 1,
    body_bytes: Number(row.body_bytes),
    approval_url: approvalUrl(publicUrl, row.id),
    created_at: iso(Number(row.created_at))!,
    expires_at: iso(Number(row.expires_at))!,
    decided_by: row.decided_by,
    decided_at: iso(row.decided_at === null ? null : Number(row.decided_at)),
    executed_by: row.executed_by,
    executed_at: iso(row.executed_at === null ? null : Number(row.executed_at)),
    result_status: row.result_status,
    result_error: row.result_error,
  };
}

/** Text when the bytes are valid UTF-8, base64 otherwise. */
export function encodeBody(body: Buffer | null): { body: string | null; body_encoding: 'utf8' | 'base64' | null } {
  if (body === null) return { body: null, body_encoding: null };
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body) ? { body: text, body_encoding: 'utf8' } : { body: body.toString('base64'), body_encoding: 'base64' };
}
