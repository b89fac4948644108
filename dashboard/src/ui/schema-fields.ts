/**
 * A tool's `input_schema` as form fields, and the filled form back as the tool's input. No DOM
 * here (the page renders the fields), so it is tested on its own. Top-level properties only:
 * strings, numbers, integers and booleans get their own control, an enum a select, anything
 * else (objects, arrays, unions) a JSON text box.
 */

export type FieldKind = 'text' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';

export interface SchemaField {
  name: string;
  kind: FieldKind;
  required: boolean;
  description: string;
  /** For `enum`: the allowed values, offered by index. */
  options: unknown[];
  /** What to pre-fill (`default`, else `examples[0]`), as the control's text. */
  initial: string;
}

export interface FieldProblem {
  path: string;
  message: string;
}

type Schema = Record<string, unknown>;

function mainType(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const concrete = type.filter((t) => t !== 'null');
    return concrete.length === 1 && typeof concrete[0] === 'string' ? concrete[0] : undefined;
  }
  return undefined;
}

function kindOf(schema: Schema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return 'enum';
  switch (mainType(schema)) {
    case 'string':
      return 'text';
    case 'number':
      return 'number';
    case 'integer':
      return 'integer';
    case 'boolean':
      return 'boolean';
    default:
      return 'json';
  }
}

function initialText(schema: Schema, kind: FieldKind): string {
  const value = 'default' in schema ? schema.default : Array.isArray(schema.examples) ? schema.examples[0] : undefined;
  if (value === undefined) return '';
  if (kind === 'enum') {
    const index = (schema.enum as unknown[]).findIndex((option) => JSON.stringify(option) === JSON.stringify(value));
    return index < 0 ? '' : String(index);
  }
  if (kind === 'json') return JSON.stringify(value, null, 2);
  return String(value);
}

export function fieldsOf(inputSchema: Schema | undefined): SchemaField[] {
  const properties = (inputSchema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set(Array.isArray(inputSchema?.required) ? (inputSchema.required as string[]) : []);
  return Object.entries(properties).map(([name, schema]) => {
    const property = schema && typeof schema === 'object' ? schema : {};
    const kind = kindOf(property);
    const description = [typeof property.title === 'string' ? property.title : '', typeof property.description === 'string' ? property.description : ''].filter(Boolean).join(' — ');
    return { name, kind, required: required.has(name), description, options: kind === 'enum' ? (property.enum as unknown[]) : [], initial: initialText(property, kind) };
  });
}

/**
 * The input from the form's texts (a checkbox-less boolean is a select: '', 'true', 'false').
 * Empty controls are left out: the server says which required ones are missing, with the rest.
 */
export function inputFrom(fields: readonly SchemaField[], values: Record<string, string>): { input: Record<string, unknown>; problems: FieldProblem[] } {
  const input: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  for (const field of fields) {
    const text = values[field.name] ?? '';
    if (text.trim() === '') continue;
    const path = `/${field.name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    switch (field.kind) {
      case 'text':
        input[field.name] = text;
        break;
      case 'number':
      case 'integer': {
        const number = Number(text.trim());
        if (!Number.isFinite(number) || (field.kind === 'integer' && !Number.isInteger(number))) problems.push({ path, message: `must be ${field.kind === 'integer' ? 'an integer' : 'a number'}` });
        else input[field.name] = number;
        break;
      }
      case 'boolean':
        input[field.name] = text === 'true';
        break;
      case 'enum':
        input[field.name] = field.options[Number(text)];
        break;
      case 'json':
        try {
          input[field.name] = JSON.parse(text);
        } catch (error) {
          problems.push({ path, message: `is not valid JSON (${(error as Error).message})` });
        }
        break;
    }
  }
  return { input, problems };
}
