import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Tool, ToolImportResult } from '../../packages/sdk/src/index.ts';
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
  const tools = program.command('tools').description('tools: typed actions over connectors (list, import from OpenAPI)');

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
