import fs from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { parseAllDocuments } from 'yaml';
import { type Connector, type ConnectorDefinition, ToolproxyApiError } from '../../packages/sdk/src/index.ts';
import type { Problem } from '../errors.ts';
import { allPages, CliContext, type CliIo } from './context.ts';
import { CliError, EXIT, usageError } from './exit-codes.ts';
import { sanitize } from './table.ts';

interface LoadedDefinition {
  /** Where it came from, for messages: `acme.yaml` or `acme.yaml#2` (document or list item). */
  source: string;
  definition: ConnectorDefinition;
}

const columns = [
  { header: 'identifier', value: (c: Connector) => c.identifier },
  { header: 'name', value: (c: Connector) => c.displayName },
  { header: 'source', value: (c: Connector) => (c.isCustom ? 'custom' : 'built-in') },
  { header: 'type', value: (c: Connector) => c.definition.auth_patterns.map((p) => p.type).join(',') },
  { header: 'proxy_url', value: (c: Connector) => c.definition.proxy_url },
  { header: 'updated', value: (c: Connector) => c.updatedAt },
];

export function registerConnectors(program: Command, io: CliIo): void {
  const connectors = program.command('connectors').description('connector definitions: how an upstream API authenticates');

  connectors
    .command('apply')
    .description('create or replace connectors from a YAML or JSON file (one definition, a list, or several YAML documents)')
    .requiredOption('-f, --file <file>', 'definition file (.yaml, .yml or .json)')
    .option('--dry-run', 'only validate the file')
    .action(async (options: { file: string; dryRun?: boolean }, command: Command) => {
      const cli = new CliContext(io, command);
      const loaded = loadDefinitions(path.resolve(io.cwd, options.file));
      // The server's own validation, run here first so a file is checked whole before anything is sent.
      const { validateDefinition } = await import('../connectors/validate-definition.ts');
      const problems = loaded.flatMap(({ source, definition }) => {
        const result = validateDefinition(definition);
        return result.ok ? [] : result.problems.map((problem) => ({ source, ...problem }));
      });
      if (problems.length > 0) throw invalid(problems);
      if (options.dryRun) {
        cli.print({ valid: true, definitions: loaded.length }, () => `${options.file}: ${loaded.length} valid definition(s); nothing applied (--dry-run)`);
        return;
      }
      const client = cli.client();
      const applied: Array<{ action: string; connector: Connector }> = [];
      for (const { source, definition } of loaded) {
        try {
          applied.push(await client.connectors.apply(definition));
        } catch (error) {
          // The server validates too (it may be a newer version than this CLI).
          if (error instanceof ToolproxyApiError && error.code === 'CONNECTOR_INVALID') throw invalid(error.problems.map((p) => ({ source, ...p })));
          throw error;
        }
      }
      cli.table(applied, [{ header: 'action', value: (a) => a.action }, ...columns.map((c) => ({ header: c.header, value: (a: { connector: Connector }) => c.value(a.connector) }))], '', applied);
      // Saved, but it will not work as it is (e.g. a loopback proxy_url the egress policy refuses).
      for (const { connector } of applied) {
        for (const warning of connector.warnings ?? []) cli.err(`warning: ${sanitize(connector.identifier)} ${sanitize(warning.path)}: ${sanitize(warning.message)}`);
      }
    });

  connectors
    .command('list')
    .description('list connectors, built-in and custom')
    .addOption(new Option('--type <type>', 'only built-in or only custom connectors').choices(['builtin', 'custom', 'all']).default('all'))
    .action(async (options: { type: 'builtin' | 'custom' | 'all' }, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      const all = await allPages(async (pageToken) => {
        const page = await client.connectors.list({ pageSize: 100, type: options.type, ...(pageToken ? { pageToken } : {}) });
        return { items: page.connectors, nextPageToken: page.nextPageToken };
      });
      // Custom connectors first, then the catalog; each by identifier (the API pages in id order).
      all.sort((a, b) => Number(b.isCustom) - Number(a.isCustom) || a.identifier.localeCompare(b.identifier));
      cli.table(all, columns, 'No connectors yet. Create one with: toolproxy connectors apply -f connector.yaml');
    });

  connectors
    .command('get <identifier>')
    .description('show one connector definition')
    .action(async (identifier: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const connector = await cli.client().connectors.get(identifier);
      cli.print(connector, () => JSON.stringify({ identifier: connector.identifier, ...connector.definition }, null, 2));
    });

  connectors
    .command('delete <identifier>')
    .description('delete a connector (refused while connections use it)')
    .action(async (identifier: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      await cli.client().connectors.delete(identifier);
      cli.print({ deleted: identifier }, () => `Deleted connector ${sanitize(identifier)}.`);
    });
}

/** Every definition in the file, or exit 3 with every syntax problem. */
function loadDefinitions(file: string): LoadedDefinition[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const name = path.basename(file);
  // YAML 1.2 is a superset of JSON, so one parser reads both and reports positions for both.
  const documents = parseAllDocuments(text);
  const syntax = (Array.isArray(documents) ? documents : []).flatMap((doc) =>
    doc.errors.map((e) => ({ source: e.linePos ? `${name}:${e.linePos[0].line}:${e.linePos[0].col}` : name, path: '', message: e.message.split('\n')[0]! })),
  );
  if (syntax.length > 0) throw invalid(syntax);

  const loaded: LoadedDefinition[] = [];
  const list = (Array.isArray(documents) ? documents : []).map((doc) => doc.toJS() as unknown).filter((value) => value !== null && value !== undefined);
  const many = list.length > 1 || Array.isArray(list[0]);
  list.forEach((value, d) => {
    const items = Array.isArray(value) ? value : [value];
    items.forEach((item, i) => {
      const source = many ? `${name}#${Array.isArray(value) ? `${d + 1}.${i + 1}` : d + 1}` : name;
      loaded.push({ source, definition: item as ConnectorDefinition });
    });
  });
  if (loaded.length === 0) throw invalid([{ source: name, path: '', message: 'the file holds no connector definition' }]);
  return loaded;
}

function invalid(problems: Array<Problem & { source: string }>): CliError {
  const lines = problems.map((p) => `  ${sanitize(p.source)}${p.path ? ` ${sanitize(p.path)}` : ''}: ${sanitize(p.message)}`);
  return new CliError(EXIT.INVALID, `${problems.length} problem${problems.length === 1 ? '' : 's'} in the connector definition${problems.length === 1 ? '' : 's'}:`, lines);
}
