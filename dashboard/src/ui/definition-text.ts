import type { Problem } from '../types.ts';

/**
 * Connector definitions as text: YAML or JSON, parsed in the browser with the `yaml` package
 * (loaded on demand, so only the editor pays for it), and problem paths turned into line numbers.
 */

export type Format = 'yaml' | 'json';

export interface Located extends Problem {
  line?: number;
}

type YamlModule = typeof import('yaml');
let yamlModule: Promise<YamlModule> | undefined;
const loadYaml = () => (yamlModule ??= import('yaml'));

export class ParseError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
  ) {
    super(message);
  }
}

export async function parseDefinition(text: string, format: Format): Promise<unknown> {
  if (format === 'json') {
    try {
      return JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      const position = /position (\d+)/.exec(message)?.[1];
      throw new ParseError(`JSON: ${message}`, position === undefined ? undefined : lineOf(text, Number(position)));
    }
  }
  const YAML = await loadYaml();
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false });
  const [first] = doc.errors;
  if (first) {
    const line = first.pos ? lineCounter.linePos(first.pos[0]).line : undefined;
    throw new ParseError(`YAML: ${first.message.split('\n')[0]}`, line);
  }
  return doc.toJS();
}

export async function stringify(value: unknown, format: Format): Promise<string> {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  const YAML = await loadYaml();
  return YAML.stringify(value, { lineWidth: 0 });
}

/** Finds the line of each problem's JSON-pointer path, or of its nearest existing parent. */
export async function locate(text: string, problems: Problem[]): Promise<Located[]> {
  const YAML = await loadYaml();
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter });
  return problems.map((problem) => {
    const segments = problem.path
      .split('/')
      .filter(Boolean)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    for (let n = segments.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      // A node's own range starts at its value; the key's line is the more useful one for scalars.
      if (range) return { ...problem, line: keyLine(doc, segments.slice(0, n), lineCounter) ?? lineCounter.linePos(range[0]).line };
    }
    return { ...problem };
  });
}

function keyLine(doc: import('yaml').Document, path: (string | number)[], lineCounter: import('yaml').LineCounter): number | undefined {
  const last = path.at(-1);
  if (typeof last !== 'string') return undefined;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const items = (parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | undefined)?.items;
  const pair = items?.find((item) => item.key?.value === last);
  return pair?.key?.range ? lineCounter.linePos(pair.key.range[0]).line : undefined;
}

export function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** Character offset of the start of a 1-based line. */
export function offsetOfLine(text: string, line: number): number {
  let offset = 0;
  for (let i = 1; i < line; i++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset;
}

export function starter(format: Format): string {
  const yaml = `# A connector: where the API lives and how it authenticates.
# Schema: /api/connector-definition.schema.json
display_name: Acme Billing
description: Customers and invoices
proxy_url: https://api.acme.example/v1
proxy_enabled: true
auth_patterns:
  - type: API_KEY
    display_name: API key
    fields:
      - field_name: api_key
        label: API key
        input_type: password
        required: true
    auth_header_key_override: X-API-Key
`;
  if (format === 'yaml') return yaml;
  return `${JSON.stringify(
    {
      display_name: 'Acme Billing',
      description: 'Customers and invoices',
      proxy_url: 'https://api.acme.example/v1',
      proxy_enabled: true,
      auth_patterns: [
        {
          type: 'API_KEY',
          display_name: 'API key',
          fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }],
          auth_header_key_override: 'X-API-Key',
        },
      ],
    },
    null,
    2,
  )}\n`;
}
