import { ToolproxyError } from '../errors.ts';
import type { AuditEntry } from './audit-entry.ts';
import type { AuditRepository } from './audit-repository.ts';

export type AuditFormat = 'jsonl' | 'csv';

export interface ExportRange {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  format: AuditFormat;
}

/** `2026-01-01`, `2026-01-01T10:00:00Z` or epoch ms. */
function parseTime(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Checks an export's range and format, listing every problem (AUDIT_RANGE_INVALID). */
export function parseExportRange(from: string | undefined, to: string | undefined, format: string | undefined): ExportRange {
  const problems: { path: string; message: string }[] = [];
  const start = parseTime(from);
  const end = parseTime(to);
  if (start === undefined) problems.push({ path: '/from', message: 'must be an ISO 8601 time (2026-01-01T00:00:00Z) or epoch milliseconds' });
  if (end === undefined) problems.push({ path: '/to', message: 'must be an ISO 8601 time (2026-01-02T00:00:00Z) or epoch milliseconds' });
  if (start !== undefined && end !== undefined && start >= end) problems.push({ path: '/to', message: 'must be after from' });
  const chosen = format ?? 'jsonl';
  if (chosen !== 'jsonl' && chosen !== 'csv') problems.push({ path: '/format', message: 'must be jsonl or csv' });
  if (problems.length > 0) throw new ToolproxyError('AUDIT_RANGE_INVALID', { details: { problems } });
  return { from: start!, to: end!, format: chosen as AuditFormat };
}

/** An entry as exported: times in ISO 8601, details parsed, the chain fields kept (a verifier can re-check them). */
export function exportedEntry(entry: AuditEntry): Record<string, unknown> {
  return {
    seq: entry.seq,
    at: new Date(entry.at).toISOString(),
    at_ms: entry.at,
    actor: { type: entry.actor_type, id: entry.actor_id },
    action: entry.action,
    target: { type: entry.target_type, id: entry.target_id },
    outcome: entry.outcome,
    status: entry.status,
    details: entry.details === null ? null : (JSON.parse(entry.details) as unknown),
    prev_hash: entry.prev_hash,
    hash: entry.hash,
  };
}

export const CSV_COLUMNS = ['seq', 'at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'outcome', 'status', 'details', 'prev_hash', 'hash'] as const;

/**
 * RFC 4180 quoting; a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR)
 * gets a leading `'` (OWASP CSV injection). The chain is verified in the database, not from the CSV.
 */
function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(entry: AuditEntry): string {
  const at = new Date(entry.at).toISOString();
  return `${CSV_COLUMNS.map((column) => csvCell(column === 'at' ? at : entry[column])).join(',')}\r\n`;
}

const PAGE = 1_000;

/** The range's entries, in seq order, as lines of the format; one page of entries in memory at a time. */
export async function* exportLines(repository: AuditRepository, range: ExportRange): AsyncGenerator<string> {
  if (range.format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
  let after = 0;
  for (;;) {
    const rows = await repository.range(range.from, range.to, after, PAGE);
    let chunk = '';
    for (const row of rows) chunk += range.format === 'csv' ? csvLine(row) : `${JSON.stringify(exportedEntry(row))}\n`;
    if (chunk !== '') yield chunk;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.seq;
  }
}
