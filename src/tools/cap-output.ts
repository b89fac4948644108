/**
 * Bounds a tool's answer to a size a model can take (issue 12: "answers over a configurable size
 * are cut with a clear marker"). The largest arrays are shortened first, so what remains is
 * still valid JSON with whole items; only when that is not enough (one huge string) is the JSON
 * text itself cut. The note says what was cut, for the caller to pass on with the data.
 */

export interface CappedOutput {
  /** The answer, or a shortened copy of it (arrays cut; as a last resort the cut JSON text). */
  value: unknown;
  truncated: boolean;
  /** Size of the answer as JSON before any cut, in UTF-8 bytes. */
  originalBytes: number;
  /** When truncated: what was cut, in words (`/items: 10 of 250 items kept`). */
  note?: string;
}

/** Room left for the note and the envelope the caller wraps around the value. */
const RESERVED_BYTES = 256;
const MAX_PASSES = 24;
export const MIN_CAP_BYTES = 1024;

export function capOutput(value: unknown, maxBytes: number): CappedOutput {
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_CAP_BYTES) throw new RangeError(`capOutput: maxBytes must be an integer of at least ${MIN_CAP_BYTES}`);
  const text = JSON.stringify(value) ?? 'null';
  const originalBytes = Buffer.byteLength(text, 'utf8');
  if (originalBytes <= maxBytes) return { value, truncated: false, originalBytes };

  const budget = maxBytes - RESERVED_BYTES;
  const copy = JSON.parse(text) as unknown;
  const cuts = new Map<string, { kept: number; total: number }>();
  let size = originalBytes;
  for (let pass = 0; pass < MAX_PASSES && size > budget; pass++) {
    const largest = largestArray(copy);
    if (largest === null || largest.array.length === 0) break;
    const { array, path, bytes } = largest;
    const average = bytes / array.length;
    const remove = Math.min(array.length, Math.ceil((size - budget) / average) + 1);
    const total = cuts.get(path)?.total ?? array.length;
    array.length -= remove;
    cuts.set(path, { kept: array.length, total });
    size = Buffer.byteLength(JSON.stringify(copy), 'utf8');
  }
  const described = [...cuts].map(([path, { kept, total }]) => `${path || '/'}: ${kept} of ${total} items kept`).join('; ');
  if (size <= budget) {
    return { value: copy, truncated: true, originalBytes, note: `toolproxy cut this answer from ${originalBytes} to ${size} bytes (${described}).` };
  }
  return {
    value: cutUtf8(text, budget),
    truncated: true,
    originalBytes,
    note: `toolproxy cut this answer from ${originalBytes} bytes to its first ${budget} bytes of JSON text; it is no longer valid JSON.`,
  };
}

interface Found {
  array: unknown[];
  path: string;
  bytes: number;
}

/** The array whose JSON is largest, with its pointer; sizes come from one bottom-up walk. */
function largestArray(root: unknown): Found | null {
  let best: Found | null = null;
  const visit = (node: unknown, path: string): number => {
    if (node === null || typeof node !== 'object') return Buffer.byteLength(JSON.stringify(node) ?? 'null', 'utf8');
    let bytes = 2;
    if (Array.isArray(node)) {
      node.forEach((item, i) => (bytes += visit(item, `${path}/${i}`) + (i > 0 ? 1 : 0)));
      if (node.length > 0 && (best === null || bytes > best.bytes)) best = { array: node, path, bytes };
      return bytes;
    }
    Object.entries(node).forEach(([key, item], i) => {
      bytes += Buffer.byteLength(JSON.stringify(key), 'utf8') + 1 + visit(item, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`) + (i > 0 ? 1 : 0);
    });
    return bytes;
  };
  visit(root, '');
  return best;
}

/** The first `maxBytes` of `text` in UTF-8, never splitting a character. */
function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let end = Math.min(maxBytes, bytes.length);
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
