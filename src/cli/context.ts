import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ToolproxyClient } from '../../packages/sdk/src/index.ts';
import { BOOTSTRAP_FILE_NAME } from '../clients/bootstrap.ts';
import { usageError } from './exit-codes.ts';
import type { ProgressStream } from './progress.ts';
import { type Column, formatTable } from './table.ts';

/** Where the CLI reads and writes: the real process, or a test's buffers. */
export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Options every command accepts (before or after the command name). */
export interface GlobalOptions {
  url?: string;
  clientId?: string;
  clientSecret?: string;
  dataDir?: string;
  json?: boolean;
}

export class CliContext {
  readonly io: CliIo;
  readonly options: GlobalOptions;

  constructor(io: CliIo, command: Command) {
    this.io = io;
    this.options = command.optsWithGlobals<GlobalOptions>();
  }

  get json(): boolean {
    return this.options.json === true;
  }

  /** The data directory of a local server: `--data-dir`, TOOLPROXY_DATA_DIR, or ./data. */
  get dataDir(): string {
    return path.resolve(this.io.cwd, this.options.dataDir ?? this.io.env.TOOLPROXY_DATA_DIR ?? './data');
  }

  /**
   * The SDK client for the server. URL: `--url`, TOOLPROXY_URL, else the local default.
   * Credentials: `--client-id`/`--client-secret`, TOOLPROXY_CLIENT_ID/_SECRET, else the bootstrap
   * client a local server keeps in its data dir (so the walkthrough needs no copy and paste).
   */
  client(): ToolproxyClient {
    const env = this.io.env;
    const url = this.options.url ?? (env.TOOLPROXY_URL || defaultServerUrl(env));
    let clientId = this.options.clientId ?? env.TOOLPROXY_CLIENT_ID;
    let clientSecret = this.options.clientSecret ?? env.TOOLPROXY_CLIENT_SECRET;
    if (!clientId || !clientSecret) {
      const saved = this.#bootstrapClient();
      if (saved && !clientId && !clientSecret) ({ clientId, clientSecret } = saved);
    }
    if (!clientId || !clientSecret) {
      throw usageError(
        `no API client credentials: pass --client-id and --client-secret, set TOOLPROXY_CLIENT_ID and TOOLPROXY_CLIENT_SECRET, or run next to a local server's data dir (${path.join(this.dataDir, BOOTSTRAP_FILE_NAME)} not found)`,
      );
    }
    try {
      return new ToolproxyClient(url, clientId, clientSecret);
    } catch (error) {
      throw usageError(`--url / TOOLPROXY_URL: ${(error as Error).message.replace(/^ToolproxyClient: /, '')}`);
    }
  }

  #bootstrapClient(): { clientId: string; clientSecret: string } | undefined {
    try {
      const saved = JSON.parse(fs.readFileSync(path.join(this.dataDir, BOOTSTRAP_FILE_NAME), 'utf8')) as { client_id?: unknown; client_secret?: unknown };
      if (typeof saved.client_id === 'string' && typeof saved.client_secret === 'string') return { clientId: saved.client_id, clientSecret: saved.client_secret };
    } catch {
      // absent or unreadable: the caller explains what to do
    }
    return undefined;
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** `--json`: the value as JSON (for scripts); otherwise the human form. */
  print(value: unknown, human: () => string): void {
    this.out(this.json ? JSON.stringify(value, null, 2) : human());
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string, value: unknown = rows): void {
    this.print(value, () => (rows.length === 0 ? empty : formatTable(rows, columns)));
  }
}

/** Where a local server listens by default: the port `start` would use. */
export function defaultServerUrl(env: Record<string, string | undefined>): string {
  return `http://localhost:${env.PORT || 3000}`;
}

/** Pages through a list call until the end. */
export async function allPages<T>(fetchPage: (pageToken: string | undefined) => Promise<{ items: T[]; nextPageToken: string | null }>): Promise<T[]> {
  const all: T[] = [];
  let pageToken: string | undefined;
  do {
    const page = await fetchPage(pageToken);
    all.push(...page.items);
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken);
  return all;
}
