import { type AuditEntry, entryHash } from './audit-entry.ts';
import type { AuditRepository } from './audit-repository.ts';

/** Why an entry broke the chain. */
export type ChainBreak =
  /** Its fields do not give its hash (a field was edited). */
  | 'edited'
  /** Its prev_hash is not the hash of the entry before (an entry before it was edited, removed or moved). */
  | 'unlinked'
  /** The seq after the previous one is absent (deleted), or the rows are out of order. */
  | 'missing'
  /** The chain ends before the head's last entry (the newest entries were deleted). */
  | 'truncated';

export interface VerifyResult {
  ok: boolean;
  /** Entries checked, from the checkpoint (the last entry retention removed) to the head. */
  checked: number;
  /** Where verification started: retention's checkpoint (0 when nothing was ever removed). */
  from_seq: number;
  /** The head: the last entry appended and its hash (publish it elsewhere to anchor the chain). */
  last_seq: number;
  last_hash: string;
  /** The first entry that does not verify, and why. */
  first_bad?: { seq: number; reason: ChainBreak; message: string };
}

const PAGE = 1_000;

/**
 * Walks the chain from the retention checkpoint to the head read at the start (entries appended
 * meanwhile are not looked at) and names the first entry that does not hold: an edited row, a
 * deleted one (a gap), reordered rows, or a deletion at the end.
 */
export async function verifyChain(repository: AuditRepository): Promise<VerifyResult> {
  const head = await repository.head();
  const base = { from_seq: head.pruned_seq, last_seq: head.last_seq, last_hash: head.last_hash };
  let expectedSeq = head.pruned_seq + 1;
  let prev = head.pruned_hash;
  let checked = 0;
  for (;;) {
    const rows = await repository.page(expectedSeq - 1, head.last_seq, PAGE);
    for (const row of rows) {
      const bad = check(row, expectedSeq, prev);
      if (bad !== undefined) return { ok: false, checked, ...base, first_bad: bad };
      checked++;
      prev = row.hash;
      expectedSeq++;
    }
    if (rows.length < PAGE) break;
  }
  if (expectedSeq - 1 !== head.last_seq) {
    return { ok: false, checked, ...base, first_bad: { seq: expectedSeq, reason: 'truncated', message: `entries ${expectedSeq} to ${head.last_seq} are missing: the chain ends at ${expectedSeq - 1}, the head says ${head.last_seq}` } };
  }
  if (prev !== head.last_hash) {
    return { ok: false, checked, ...base, first_bad: { seq: head.last_seq, reason: 'edited', message: `entry ${head.last_seq}'s hash is not the head's: it was replaced` } };
  }
  return { ok: true, checked, ...base };
}

function check(row: AuditEntry, expectedSeq: number, prev: string): VerifyResult['first_bad'] {
  if (row.seq !== expectedSeq) {
    return { seq: expectedSeq, reason: 'missing', message: `entry ${expectedSeq} is missing (the next one is ${row.seq})` };
  }
  if (entryHash(row.prev_hash, row.seq, row) !== row.hash) {
    return { seq: row.seq, reason: 'edited', message: `entry ${row.seq} was changed: its fields do not give its hash` };
  }
  if (row.prev_hash !== prev) {
    return { seq: row.seq, reason: 'unlinked', message: `entry ${row.seq} does not follow entry ${row.seq - 1}: an entry before it was changed, removed or moved` };
  }
  return undefined;
}
