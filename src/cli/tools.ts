import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { type Tool, type ToolImportResult, ToolUnauthorizedError } from '../../packages/sdk/src/index.ts';
import { OPENAPI_MAX_BYTES } from '../tools/openapi-import/limits.ts';
import { allPages, CliContext, type CliIo } from './context.ts';
import { CliError, EXIT, usageError } from './exit-codes.ts';
import { sanitize } from './table.ts';

const listColumns = [
  { header: 'name', value: (t: Tool) => t.definition.name },
  { header: 'connector', value: (t: Tool) => t.provider },
  { header: 'method', value: (t: Tool) => String(t.metadata.request['method'] ?? '') },
  { header: 'path', value: (t: Tool) => String(t.metadata.request['path'] ?? '') },
  { header: 'source', value: (t: Tool) => (t.isDefault ? 'built-in' : t.metadata.origin) },
];

export function registerTools(program: Command, io: CliIo): void {
  const tools = program.command('tools').description('tools: typed actions over connectors (list, show, run, import from OpenAPI)');

  tools
    .command('list')
    .description('list tools, built-in and custom')
    .option('--connector <identifier>', 'only this connector')
    .option('--query <text>', 'text in the name, display name or description')
    .action(async (options: { connector?: string; query?: string }, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      const all = await allPages(async (pageToken) => {
        const page = await client.tools.list({ pageSize: 100, ...options, ...(pageToken ? { pageToken } : {}) });
        return { items: page.tools, nextPageToken: page.nextPageToken };
      });
      cli.table(all, listColumns, 'No tools match. Import some with: toolproxy tools import openapi.json --connector <identifier>');
    });

  tools
    .command('show <name>')
    .description("one tool: its description, input schema, request template and output projection")
    .action(async (name: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const tool = await cli.client().tools.get(name);
      cli.print(tool, () => describeTool(tool));
    });

  tools
    .command('run <name>')
    .description("run a tool as a user (POST /api/v1/execute_tool) and print its data")
    .option('--identifier <id>', "the user's identifier")
    .option('--connection <name>', 'the connection whose account for --identifier runs it')
    .option('--connector <name>', "the reference SDK's name for --connection")
    .option('--account <id>', 'a connected account id (instead of --identifier)')
    .option('--input <json|@file>', 'the input: a JSON object, or @path to a JSON file', '{}')
    .action(async (name: string, options: { identifier?: string; connection?: string; connector?: string; account?: string; input: string }, command: Command) => {
      const cli = new CliContext(io, command);
      if (!options.account && !(options.identifier && (options.connection || options.connector))) throw usageError('tools run: pass --identifier with --connection (or --connector), or --account');
      const toolInput = readInput(options.input, io.cwd);
      try {
        const result = await cli.client().actions.executeTool({
          toolName: name,
          toolInput,
          ...(options.account ? { connectedAccountId: options.account } : {}),
          ...(options.identifier ? { identifier: options.identifier } : {}),
          ...(options.connection ? { connectionName: options.connection } : {}),
          ...(options.connector ? { connector: options.connector } : {}),
        });
        cli.print(result, () => JSON.stringify(result.data, null, 2) ?? 'null');
      } catch (error) {
        if (error instanceof ToolUnauthorizedError && !cli.json) cli.err("The upstream API refused the user's credentials: send them a new authorization link (toolproxy accounts link).");
        throw error;
      }
    });

  tools
    .command('import <source>')
    .description('create or update tools on a custom connector from an OpenAPI 3.0/3.1 or Swagger 2.0 document (a file or an http(s) URL the server fetches), one per operation')
    .requiredOption('--connector <identifier>', 'the custom connector that gets the tools')
    .option('--include <pattern...>', 'only operations whose operationId, tag or "METHOD /path" matches one of these globs')
    .option('--dry-run', 'only show what would be created or updated')
    .option('--skip-validation', 'import even if the document does not validate')
    .action(async (source: string, options: { connector: string; include?: string[]; dryRun?: boolean; skipValidation?: boolean }, command: Command) => {
      const cli = new CliContext(io, command);
      const document = /^https?:\/\//i.test(source) ? { url: source } : { document: readDocument(path.resolve(io.cwd, source)) };
      const result = await cli.client().tools.import(options.connector, document, {
        ...(options.include ? { include: options.include } : {}),
        ...(options.dryRun ? { dryRun: true } : {}),
        ...(options.skipValidation ? { skipValidation: true } : {}),
      });
      cli.print(result, () => describeImport(result));
    });
}

/** `--input`: a JSON object inline, or `@file.json`. */
function readInput(value: string, cwd: string): Record<string, unknown> {
  let text = value;
  let from = '--input';
  if (value.startsWith('@')) {
    const file = path.resolve(cwd, value.slice(1));
    from = file;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw usageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usageError(`${from} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw usageError(`${from} must be a JSON object of named inputs`);
  return parsed as Record<string, unknown>;
}

function describeTool(tool: Tool): string {
  const { definition, metadata } = tool;
  const request = metadata.request as { method?: string; path?: string; query?: unknown; headers?: unknown; body?: unknown };
  const block = (title: string, value: unknown) => [`${title}:`, ...JSON.stringify(value, null, 2).split('\n').map((line) => `  ${sanitize(line)}`)];
  const lines = [
    `${sanitize(definition.name)} — ${sanitize(definition.display_name)}`,
    `connector: ${sanitize(tool.provider)}   source: ${tool.isDefault ? 'built-in' : metadata.origin}   version: ${metadata.version}`,
    '',
    sanitize(definition.description),
    '',
    `request: ${sanitize(String(request.method ?? ''))} ${sanitize(String(request.path ?? ''))}`,
    ...(request.query ? block('  query', request.query).map((l) => `  ${l}`) : []),
    ...(request.headers ? block('  headers', request.headers).map((l) => `  ${l}`) : []),
    ...(request.body ? block('  body', request.body).map((l) => `  ${l}`) : []),
    ...block('input schema', definition.input_schema),
    ...(metadata.output ? block('output', metadata.output) : []),
    ...(definition.output_schema ? block('output schema', definition.output_schema) : []),
  ];
  return lines.join('\n');
}

/** The file's text, refused before it is read when it is larger than any server accepts. */
function readDocument(file: string): string {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (error) {
    throw usageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (size > OPENAPI_MAX_BYTES) {
    throw new CliError(EXIT.INVALID, `${path.basename(file)} is ${(size / 1024 / 1024).toFixed(1)} MiB; an OpenAPI document may be at most ${OPENAPI_MAX_BYTES / 1024 / 1024} MiB`);
  }
  return fs.readFileSync(file, 'utf8');
}

function describeImport(result: ToolImportResult): string {
  const { document } = result;
  const lines = [
    `${sanitize(document.title || 'untitled')} ${sanitize(document.version)} (${document.specification}): ${document.selected} of ${document.operations} operations selected${document.pathPrefix ? `, paths prefixed with ${sanitize(document.pathPrefix)}` : ''}`,
  ];
  if (result.dryRun) {
    lines.push('', ...result.tools.map((t) => `  ${t.action.padEnd(9)} ${t.name.padEnd(48)} ${t.method.padEnd(6)} ${sanitize(t.path)}`), '');
    lines.push(`Would create ${result.created}, update ${result.updated}, leave ${result.unchanged} unchanged on ${result.connector} (--dry-run: nothing written).`);
  } else {
    lines.push(`Created ${result.created}, updated ${result.updated}, left ${result.unchanged} unchanged on ${result.connector}.`);
  }
  if (result.skipped.length > 0) {
    lines.push(`${result.skipped.length} operation${result.skipped.length === 1 ? '' : 's'} skipped:`);
    lines.push(...result.skipped.map((s) => `  ${sanitize(s.operation)}${s.operationId ? ` (${sanitize(s.operationId)})` : ''}: ${sanitize(s.reason)}`));
  }
  if (result.warnings.length > 0) lines.push(`${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'} (see --json).`);
  return lines.join('\n');
}
