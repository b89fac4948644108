import type { Store } from '../store/store.ts';
import { identifierProblem } from './identifiers.ts';

/** How many account ids one start-up warning lists. */
const LISTED = 20;
const SCANNED = 10_000;

/**
 * Accounts created before identifiers were checked may hold one the server now refuses
 * (`"bob "`): the proxy can never reach them (HTTP trims header values), and a call meant for
 * one reaches the trimmed twin. Reported once at start with their ids (never the identifiers,
 * which may be personal data), so the operator can delete or re-create them.
 */
export async function findMalformedIdentifiers(store: Store): Promise<{ count: number; ids: string[]; more: boolean }> {
  const candidates = await store.accounts.findIdentifierCandidates(SCANNED);
  const bad = candidates.filter((row) => identifierProblem(row.identifier) !== null);
  return { count: bad.length, ids: bad.slice(0, LISTED).map((row) => row.id), more: candidates.length === SCANNED };
}
