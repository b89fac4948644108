/**
 * JSON Pointers (RFC 6901) as tools use them: problem paths (`/labels/2`), body members of a
 * request template (`fields/summary`, a *relative* pointer: no leading slash) and output
 * projections (`items/*` where `*` means every element of an array).
 */

/** `~` and `/` escaped (RFC 6901 §4), so any key can stand in a pointer. */
export function escapeToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerOf(tokens: readonly (string | number)[]): string {
  return tokens.map((token) => `/${escapeToken(String(token))}`).join('');
}

/** Keys that would reach an object's prototype if used to build one. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The tokens of a relative pointer (`a/b~1c` → `['a', 'b/c']`), or null when it is malformed:
 * empty, a leading or doubled slash, or a `~` not followed by 0 or 1.
 */
export function parseRelativePointer(path: string): string[] | null {
  if (path === '' || path.startsWith('/')) return null;
  const tokens: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '' || /~(?![01])/.test(raw)) return null;
    tokens.push(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return tokens;
}

/** The tokens of an absolute pointer (`''` is the whole document), or null when malformed. */
export function parsePointer(pointer: string): string[] | null {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return null;
  const tokens: string[] = [];
  for (const raw of pointer.slice(1).split('/')) {
    if (/~(?![01])/.test(raw)) return null;
    tokens.push(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return tokens;
}

/** The value at `tokens`, or undefined. Only own properties are followed, and arrays by index. */
export function valueAt(value: unknown, tokens: readonly string[]): unknown {
  let current = value;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      if (!/^(?:0|[1-9]\d*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return current;
}

const INDEX = /^(?:0|[1-9]\d{0,3})$/;

/**
 * Sets `value` at `tokens` inside `target`, creating what is missing on the way: an array where
 * the next token is an index (`rich_text/0/text/content`), else a plain object. Keys are
 * defined, not assigned, so even a `__proto__` key stays an own property (rules refuse those).
 */
export function setAt(target: Record<string, unknown>, tokens: readonly string[], value: unknown): void {
  let current: Record<string, unknown> | unknown[] = target;
  tokens.forEach((token, index) => {
    if (index === tokens.length - 1) {
      define(current, token, value);
      return;
    }
    const next = Object.hasOwn(current, token) ? (current as Record<string, unknown>)[token] : undefined;
    if (next !== null && typeof next === 'object') {
      current = next as Record<string, unknown> | unknown[];
    } else {
      const created: Record<string, unknown> | unknown[] = INDEX.test(tokens[index + 1]!) ? [] : {};
      define(current, token, created);
      current = created;
    }
  });
}

function define(target: Record<string, unknown> | unknown[], key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
