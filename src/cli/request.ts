import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { RequestOptions } from '../../packages/sdk/src/index.ts';
import { CliContext, type CliIo } from './context.ts';
import { CliError, EXIT, usageError } from './exit-codes.ts';
import { sanitize } from './table.ts';

interface RequestFlags {
  data?: string;
  dataRaw?: string;
  form: string[];
  query: string[];
  header: string[];
  include?: boolean;
  fail?: boolean;
  timeout?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerRequest(program: Command, io: CliIo): void {
  program
    .command('request <connection> <identifier> <method> <path>')
    .description("call the upstream API as the user through the Tool Proxy (path is relative to the connector's proxy_url)")
    .option('-d, --data <json>', 'JSON body (or @file)')
    .option('--data-raw <text>', 'body sent as it is (or @file); set its type with -H "content-type: …"')
    .option('-F, --form <name=value>', 'form field, repeatable (urlencoded; name=@file makes it multipart)', collect, [])
    .option('-q, --query <name=value>', 'query parameter, repeatable', collect, [])
    .option('-H, --header <name: value>', 'header for the upstream API, repeatable', collect, [])
    .option('-i, --include', 'print the status line and response headers before the body')
    .option('--fail', `exit with ${EXIT.UPSTREAM_STATUS} when the upstream status is not 2xx`)
    .option('--timeout <ms>', 'timeout of the call in milliseconds')
    .action(async (connectionName: string, identifier: string, method: string, upstreamPath: string, flags: RequestFlags, command: Command) => {
      const cli = new CliContext(io, command);
      if (!/^[A-Za-z]+$/.test(method)) throw usageError(`<method> must be an HTTP method such as GET or POST (got "${sanitize(method)}")`);
      const options: RequestOptions = { connectionName, identifier, method: method.toUpperCase(), path: upstreamPath, responseType: 'auto', ...bodyOf(flags, io) };
      if (flags.query.length) {
        options.queryParams = Object.fromEntries(Object.entries(pairsList(flags.query, '=', '--query')).map(([name, v]) => [name, v.length === 1 ? v[0]! : v]));
      }
      if (flags.header.length) {
        options.headers = Object.fromEntries(Object.entries(pairsList(flags.header, ':', '--header')).map(([name, v]) => [name, v.join(', ')]));
      }
      if (flags.timeout !== undefined) {
        if (!/^\d+$/.test(flags.timeout)) throw usageError('--timeout must be a number of milliseconds');
        options.timeoutMs = Number(flags.timeout);
      }

      const response = await cli.client().actions.request(options);
      if (cli.json) {
        cli.out(JSON.stringify(response, null, 2));
      } else {
        if (flags.include) {
          cli.out(`HTTP ${response.status} ${response.statusText}`.trimEnd());
          for (const [name, value] of response.headers) cli.out(`${name}: ${sanitize(value)}`);
          cli.out('');
        } else if (!response.ok) {
          cli.err(`HTTP ${response.status} ${response.statusText}`.trimEnd());
        }
        const body = response.body;
        if (body instanceof Uint8Array) io.stdout.write(body);
        else if (typeof body === 'string') cli.out(body);
        else if (body !== null) cli.out(JSON.stringify(body, null, 2));
      }
      if (flags.fail && !response.ok) throw new CliError(EXIT.UPSTREAM_STATUS, `the upstream API answered ${response.status}`);
    });
}

function bodyOf(flags: RequestFlags, io: CliIo): Pick<RequestOptions, 'body' | 'formData' | 'rawBody'> {
  const given = [flags.data, flags.dataRaw, flags.form.length ? 'form' : undefined].filter((v) => v !== undefined);
  if (given.length > 1) throw usageError('give at most one of --data, --data-raw and --form');
  if (flags.data !== undefined) {
    const text = readArgument(flags.data, io).toString('utf8');
    try {
      return { body: JSON.parse(text) as unknown };
    } catch {
      throw usageError('--data must be JSON (use --data-raw for other bodies)');
    }
  }
  if (flags.dataRaw !== undefined) {
    const raw = readArgument(flags.dataRaw, io);
    return { rawBody: flags.dataRaw.startsWith('@') ? new Uint8Array(raw) : raw.toString('utf8') };
  }
  if (flags.form.length) {
    const form: Record<string, Array<string | Blob>> = {};
    for (const [name, value] of Object.entries(pairsList(flags.form, '=', '--form'))) {
      form[name] = value.map((v) => (v.startsWith('@') ? new File([readArgument(v, io)], path.basename(v.slice(1))) : v));
    }
    return { formData: form };
  }
  return {};
}

/** `@file` reads the file; anything else is the value itself. */
function readArgument(value: string, io: CliIo): Buffer {
  if (!value.startsWith('@')) return Buffer.from(value, 'utf8');
  try {
    return fs.readFileSync(path.resolve(io.cwd, value.slice(1)));
  } catch (error) {
    throw usageError(`cannot read ${value.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function pairsList(values: string[], separator: string, option: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const value of values) {
    const at = value.indexOf(separator);
    if (at <= 0) throw usageError(`${option} takes name${separator}value (got "${sanitize(value)}")`);
    const name = value.slice(0, at).trim();
    (result[name] ??= []).push(value.slice(at + 1).trim());
  }
  return result;
}
