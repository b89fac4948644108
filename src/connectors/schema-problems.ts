/**
 * TypeBox errors made readable: one `Problem` per mistake, with a JSON-pointer path and a message
 * that says what is expected. A schema's own `errorMessage` wins for constraint failures.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { Problem } from '../errors.ts';

const CONSTRAINT_ERRORS = new Set<ValueErrorType>([
  ValueErrorType.StringPattern,
  ValueErrorType.StringMinLength,
  ValueErrorType.StringMaxLength,
  ValueErrorType.ArrayMinItems,
  ValueErrorType.ArrayMaxItems,
]);

/** Every problem of `value` against `schema`, paths prefixed with `basePath`, deduplicated. */
export function schemaProblems(schema: TSchema, value: unknown, basePath = ''): Problem[] {
  const errors = [...Value.Errors(schema, value)];
  // A missing property also fails its type check at the same path; report it once, as missing.
  const missing = new Set(errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path));
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const error of errors) {
    if (missing.has(error.path) && error.type !== ValueErrorType.ObjectRequiredProperty) continue;
    const problem = { path: basePath + error.path, message: describe(error) };
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function describe(error: ValueError): string {
  const schema = error.schema as TSchema & Record<string, unknown>;
  if (CONSTRAINT_ERRORS.has(error.type) && typeof schema['errorMessage'] === 'string') return schema['errorMessage'];
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'is not a known property';
    case ValueErrorType.Object:
      return 'must be an object';
    case ValueErrorType.Array:
      return 'must be an array';
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.Integer:
    case ValueErrorType.Number:
      return 'must be an integer';
    case ValueErrorType.IntegerMinimum:
      return `must be at least ${String(schema['minimum'])}`;
    case ValueErrorType.IntegerMaximum:
      return `must be at most ${String(schema['maximum'])}`;
    case ValueErrorType.StringMinLength:
      return schema['minLength'] === 1 ? 'must not be empty' : `must be at least ${String(schema['minLength'])} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(schema['maxLength'])} characters`;
    case ValueErrorType.StringPattern:
      return `must match ${String(schema['pattern'])}`;
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${String(schema['minItems'])} item(s)`;
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${String(schema['maxItems'])} item(s)`;
    case ValueErrorType.ArrayUniqueItems:
      return 'must not repeat a value';
    case ValueErrorType.ObjectMaxProperties:
      return `must have at most ${String(schema['maxProperties'])} entries`;
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(schema['const'])}`;
    case ValueErrorType.Union:
      return describeUnion(schema);
    default:
      return error.message;
  }
}

function describeUnion(schema: Record<string, unknown>): string {
  const variants = Array.isArray(schema['anyOf']) ? (schema['anyOf'] as Record<string, unknown>[]) : [];
  if (variants.length > 0 && variants.every((variant) => 'const' in variant)) {
    return `must be one of: ${variants.map((variant) => String(variant['const'])).join(', ')}`;
  }
  return 'has an invalid value';
}
