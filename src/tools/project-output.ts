/**
 * Keeps only what a tool's `output` projection asks for, so an answer costs a model's context
 * what it is worth: `root` (a JSON pointer) picks a part, `fields` (relative pointers) keep only
 * some members. On an array, fields apply to each element (`*` says so explicitly in the middle
 * of a path: `labels/*\/name`). Pure; members that are absent are left out, never invented.
 */
import type { OutputProjection } from './definition-schema.ts';
import { parsePointer, parseRelativePointer, valueAt } from './json-pointer.ts';

/** `true` keeps the whole value; a map keeps the members it names. */
type Mask = true | Map<string, Mask>;

const masks = new WeakMap<readonly string[], Mask>();

export function projectOutput(value: unknown, projection: OutputProjection | undefined): unknown {
  if (projection === undefined) return value;
  let picked = value;
  if (projection.root !== undefined && projection.root !== '') {
    const tokens = parsePointer(projection.root);
    const found = tokens === null ? undefined : valueAt(value, tokens);
    // An answer without the root (an error body, a changed API) is kept whole rather than lost.
    if (found === undefined) return value;
    picked = found;
  }
  if (projection.fields === undefined) return picked;
  const result = apply(picked, maskOf(projection.fields));
  return result === undefined ? null : result;
}

function maskOf(fields: readonly string[]): Mask {
  let mask = masks.get(fields);
  if (mask !== undefined) return mask;
  const root = new Map<string, Mask>();
  for (const field of fields) {
    const tokens = parseRelativePointer(field);
    if (tokens === null) continue;
    let node: Map<string, Mask> = root;
    for (const [i, token] of tokens.entries()) {
      const existing = node.get(token);
      if (existing === true) break; // a shorter field already keeps all of it
      if (i === tokens.length - 1) {
        node.set(token, true);
        break;
      }
      const child = existing ?? new Map<string, Mask>();
      node.set(token, child);
      node = child;
    }
  }
  mask = root;
  masks.set(fields, mask);
  return mask;
}

function apply(value: unknown, mask: Mask): unknown {
  if (mask === true) return value;
  if (Array.isArray(value)) {
    const each = mask.get('*') ?? mask;
    return value.map((item) => apply(item, each)).filter((item) => item !== undefined);
  }
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const every = mask.get('*');
  for (const key of Object.keys(record)) {
    const sub = mask.get(key) ?? every;
    if (sub === undefined) continue;
    const kept = apply(record[key], sub);
    if (kept !== undefined) Object.defineProperty(out, key, { value: kept, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
