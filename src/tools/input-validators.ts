/**
 * Validates a tool call's input against the tool's input_schema (Ajv, JSON Schema 2020-12).
 * A schema is compiled once per tool version, on the first call that needs it, never on load:
 * a GitHub import brings a thousand tools and most are never called. The cache is bounded
 * (least recently used goes first) and a compiled schema that is dropped is removed from Ajv
 * too, so memory follows the tools in use, not the tools stored.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { type Problem, ToolproxyError } from '../errors.ts';
import { createToolAjv } from './json-schema-ajv.ts';
import { escapeToken } from './json-pointer.ts';

export interface ToolVersion {
  id: string;
  version: number;
  input_schema: Record<string, unknown>;
}

interface Compiled {
  version: number;
  schema: Record<string, unknown>;
  validate: ValidateFunction;
}

const MAX_PROBLEMS = 50;

export class InputValidators {
  readonly #ajv = createToolAjv();
  readonly #compiled = new Map<string, Compiled>();
  readonly #maxEntries: number;
  /** How many schemas were compiled since start (a test reads it to prove "once per version"). */
  compilations = 0;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 1000;
  }

  get size(): number {
    return this.#compiled.size;
  }

  /** Every problem of `input`, each with the JSON pointer of the offending property; [] when valid. */
  problems(tool: ToolVersion, input: unknown): Problem[] {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return [{ path: '', message: 'must be an object of named inputs' }];
    const validate = this.#validator(tool);
    if (validate(input)) return [];
    return toProblems(validate.errors ?? []);
  }

  /** Throws TOOL_INPUT_INVALID listing every problem; nothing is sent upstream then. */
  assertValid(tool: ToolVersion, input: unknown): asserts input is Record<string, unknown> {
    const problems = this.problems(tool, input);
    if (problems.length > 0) throw new ToolproxyError('TOOL_INPUT_INVALID', { details: { problems } });
  }

  /** Drops a tool's compiled schema (it changed or was deleted); all of them without an id. */
  forget(id?: string): void {
    const ids = id === undefined ? [...this.#compiled.keys()] : [id];
    for (const key of ids) {
      const entry = this.#compiled.get(key);
      if (entry === undefined) continue;
      this.#compiled.delete(key);
      this.#ajv.removeSchema(entry.schema);
    }
  }

  #validator(tool: ToolVersion): ValidateFunction {
    const cached = this.#compiled.get(tool.id);
    if (cached !== undefined && cached.version === tool.version) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.#compiled.delete(tool.id);
      this.#compiled.set(tool.id, cached);
      return cached.validate;
    }
    this.forget(tool.id);
    let validate: ValidateFunction;
    try {
      validate = this.#ajv.compile(tool.input_schema);
    } catch (error) {
      throw new ToolproxyError('TOOL_INVALID', {
        message: 'The tool input_schema does not compile; fix the tool definition.',
        details: { problems: [{ path: '/input_schema', message: error instanceof Error ? error.message : 'does not compile' }] },
        cause: error,
      });
    }
    this.compilations += 1;
    this.#compiled.set(tool.id, { version: tool.version, schema: tool.input_schema, validate });
    while (this.#compiled.size > this.#maxEntries) this.forget(this.#compiled.keys().next().value as string);
    return validate;
  }
}

function toProblems(errors: readonly ErrorObject[]): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const error of errors) {
    const problem = describe(error);
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
    if (problems.length >= MAX_PROBLEMS) break;
  }
  return problems;
}

/** Ajv's error, pointed at the property at fault (a missing one at its own path, not its parent's). */
function describe(error: ErrorObject): Problem {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    return { path: `${error.instancePath}/${escapeToken(params['missingProperty'])}`, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    return { path: `${error.instancePath}/${escapeToken(params['additionalProperty'])}`, message: 'is not a known property' };
  }
  if (error.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
    const allowed = (params['allowedValues'] as unknown[]).slice(0, 20).map((v) => JSON.stringify(v)).join(', ');
    return { path: error.instancePath, message: `must be one of: ${allowed}` };
  }
  return { path: error.instancePath, message: error.message ?? `fails ${error.keyword}` };
}
