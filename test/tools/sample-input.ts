/**
 * A plausible input for a tool, built from its input_schema: every property (or only the
 * required ones), each with a value of its type that respects enum/const/format/minimum. Tests
 * render it to check a template against its schema; they validate it with Ajv first.
 */
type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

const FORMATS: Record<string, string> = {
  'date-time': '2026-01-02T03:04:05Z',
  date: '2026-01-02',
  time: '03:04:05Z',
  email: 'someone@example.com',
  uri: 'https://example.com/x',
  url: 'https://example.com/x',
  uuid: '123e4567-e89b-12d3-a456-426614174000',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  byte: 'c2FtcGxl',
};

export function sampleInput(schema: Json, options: { optional?: boolean } = {}): Json {
  const value = sample(schema, schema, options.optional ?? true, 0);
  return isRecord(value) ? value : {};
}

function sample(node: unknown, root: Json, optional: boolean, depth: number): unknown {
  if (!isRecord(node) || depth > 6) return 'sample';
  if (typeof node['$ref'] === 'string' && node['$ref'].startsWith('#/$defs/')) {
    return sample((root['$defs'] as Json | undefined)?.[node['$ref'].slice('#/$defs/'.length)], root, false, depth + 1);
  }
  if ('const' in node) return node['const'];
  if (Array.isArray(node['enum'])) return node['enum'].find((v) => v !== null) ?? null;
  if (Array.isArray(node['examples']) && node['examples'].length > 0 && typeof node['examples'][0] !== 'object') return node['examples'][0];
  for (const key of ['oneOf', 'anyOf']) {
    const options = node[key];
    if (!Array.isArray(options) || options.length === 0) continue;
    // Branches that only say which members are required (one of two parents): take the first.
    if (isRecord(node['properties']) && options.every((o) => isRecord(o) && Array.isArray(o['required']) && o['type'] === undefined)) {
      const [first, ...others] = options as Json[];
      const excluded = new Set(others.flatMap((o) => o['required'] as string[]));
      const required = [...(Array.isArray(node['required']) ? node['required'] : []), ...(first!['required'] as string[])];
      const properties = Object.fromEntries(Object.entries(node['properties']).filter(([name]) => !excluded.has(name) || required.includes(name)));
      return sample({ ...node, [key]: undefined, properties, required }, root, optional, depth);
    }
    return sample(options.find((o) => isRecord(o) && o['type'] !== 'null') ?? options[0], root, optional, depth + 1);
  }
  if (Array.isArray(node['allOf']) && node['allOf'].length > 0) return sample(node['allOf'][0], root, optional, depth + 1);
  const types = Array.isArray(node['type']) ? node['type'] : [node['type']];
  const type = types.find((t) => t !== 'null') ?? (isRecord(node['properties']) ? 'object' : 'string');
  switch (type) {
    case 'object': {
      const properties = isRecord(node['properties']) ? node['properties'] : {};
      const required = new Set(Array.isArray(node['required']) ? node['required'] : []);
      const out: Json = {};
      for (const [name, child] of Object.entries(properties)) {
        if (!required.has(name) && (!optional || depth > 0)) continue;
        out[name] = sample(child, root, optional, depth + 1);
      }
      return out;
    }
    case 'array': {
      const min = typeof node['minItems'] === 'number' ? node['minItems'] : 1;
      return Array.from({ length: Math.max(1, min) }, () => sample(node['items'], root, optional, depth + 1));
    }
    case 'integer':
    case 'number': {
      const minimum = typeof node['minimum'] === 'number' ? node['minimum'] : typeof node['exclusiveMinimum'] === 'number' ? node['exclusiveMinimum'] + 1 : 1;
      const maximum = typeof node['maximum'] === 'number' ? node['maximum'] : Infinity;
      return Math.min(Math.max(minimum, 1), maximum);
    }
    case 'boolean':
      return true;
    default: {
      if (node['contentEncoding'] === 'base64') return 'c2FtcGxl';
      const format = typeof node['format'] === 'string' ? FORMATS[node['format']] : undefined;
      if (format !== undefined) return format;
      const min = typeof node['minLength'] === 'number' ? node['minLength'] : 1;
      return 'sample'.padEnd(min, 'x').slice(0, typeof node['maxLength'] === 'number' ? Math.max(node['maxLength'], min) : undefined);
    }
  }
}
