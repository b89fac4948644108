import { createHash } from 'node:crypto';
import type { Actor } from '../actor.ts';

/** What an entry is about: a connector, a connection, a connected account, an API client, … */
export interface AuditTarget {
  readonly type: string;
  readonly id: string;
}

/** A detail value: small and flat. Never a secret, a body, a header or a query string (docs/audit.md). */
export type AuditDetail = string | number | boolean | null;

/** What a caller hands to `AuditTrail.record`. */
export interface AuditEvent {
  /** `<noun>.<verb>`: `proxy.call`, `connector.create`, `credentials.refresh`, `policy.update`, … */
  readonly action: string;
  readonly target: AuditTarget;
  /** Who did it: the caller passes the API client, hosted link or MCP client it serves; absent: `system`. */
  readonly actor?: Actor | null | undefined;
  /** `ok` (the default) or the error code it ended with. */
  readonly outcome?: string | undefined;
  /** An HTTP status where there is one (proxy and tool calls, refreshes). */
  readonly status?: number | null | undefined;
  readonly details?: Readonly<Record<string, AuditDetail | undefined>> | undefined;
  /** Epoch ms; the trail's clock when absent. */
  readonly at?: number | undefined;
}

/** An entry before the chain gives it its place: every field but seq and the hashes. */
export interface UnchainedEntry {
  at: number;
  actor_type: string;
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  outcome: string;
  status: number | null;
  /** Canonical JSON (sorted keys), or null. */
  details: string | null;
}

/** A stored entry. */
export interface AuditEntry extends UnchainedEntry {
  seq: number;
  prev_hash: string;
  hash: string;
}

/** The hash before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** `system` when nobody in particular did it (a background refresh, a revocation retry). */
export const SYSTEM_ACTOR: Actor = Object.freeze({ type: 'system', id: 'toolproxy' });

/** Bounds: an entry stays small whatever a caller sends (a connection name is caller input). */
const MAX_TEXT = 200;
const MAX_DETAILS = 20;
/** A detail whose name says it may hold a secret is never stored, whoever passed it (a safety net, not the rule). */
const SECRET_NAME = /secret|token|password|passwd|authorization|cookie|credential|api[-_]?key|private|signature|body|query|header/i;

const bounded = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);

/** The details as stored: flat, bounded, keys sorted, secret-looking names replaced. */
export function canonicalDetails(details: AuditEvent['details']): string | null {
  if (details === undefined) return null;
  const keys = Object.keys(details).filter((key) => details[key] !== undefined).sort().slice(0, MAX_DETAILS);
  if (keys.length === 0) return null;
  const out: Record<string, AuditDetail> = {};
  for (const key of keys) {
    const value = details[key]!;
    if (SECRET_NAME.test(key)) out[key] = '[redacted]';
    else if (typeof value === 'string') out[key] = bounded(value);
    else if (typeof value === 'number') out[key] = Number.isFinite(value) ? value : null;
    else out[key] = typeof value === 'boolean' ? value : null;
  }
  return JSON.stringify(out);
}

export function unchained(event: AuditEvent, actor: Actor, now: number): UnchainedEntry {
  return {
    at: event.at ?? now,
    actor_type: actor.type,
    actor_id: bounded(actor.id),
    action: bounded(event.action),
    target_type: bounded(event.target.type),
    target_id: bounded(event.target.id),
    outcome: bounded(event.outcome ?? 'ok'),
    status: event.status ?? null,
    details: canonicalDetails(event.details),
  };
}

/**
 * `sha256(prev_hash || canonical(entry))`, hex. The canonical form is a JSON array of the fields
 * in a fixed order (details as its stored text), so both databases and any verifier agree.
 */
export function entryHash(prevHash: string, seq: number, entry: UnchainedEntry): string {
  const canonical = JSON.stringify([
    seq, entry.at, entry.actor_type, entry.actor_id, entry.action, entry.target_type, entry.target_id, entry.outcome, entry.status, entry.details,
  ]);
  return createHash('sha256').update(prevHash + canonical).digest('hex');
}

/**
 * What a service needs to write to the audit trail (AuditTrail implements it). Policies and
 * approvals call it too: `audit?.record({ action: 'policy.update', target: { type: 'connection', id } })`.
 */
export interface AuditRecorder {
  record(event: AuditEvent): void;
}

/** The outcome of a failure: its catalogue code, or `error`. */
export function outcomeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,60}$/.test(code) ? code : 'error';
}
