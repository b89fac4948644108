import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The reference page's Node example, unchanged (see fixtures/README.md). */
export const REFERENCE_EXAMPLE = join(import.meta.dirname, 'fixtures', 'reference-example.mjs');

export interface ExampleRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The authorization link the example printed. */
  link: string;
}

/**
 * Runs the example as a user would: plain `node`, the three SCALEKIT_* variables set, in an
 * empty directory (so `dotenv/config` finds no .env). When it asks to press Enter, `authorize`
 * completes the hosted authorization for the printed link; then Enter is pressed and stdin
 * closed, and the run's output is returned once the process exits.
 */
export async function runReferenceExample(
  env: { url: string; clientId: string; clientSecret: string; extra?: Record<string, string> },
  authorize: (link: string) => Promise<void>,
): Promise<ExampleRun> {
  const cwd = await mkdtemp(join(tmpdir(), 'tp-example-'));
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, [REFERENCE_EXAMPLE], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        SCALEKIT_ENV_URL: env.url,
        SCALEKIT_CLIENT_ID: env.clientId,
        SCALEKIT_CLIENT_SECRET: env.clientSecret,
        ...env.extra,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit') as Promise<[number | null]>;

    const prompted = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (stdout.includes('Press Enter after authorizing...')) resolve();
      };
      child!.stdout!.on('data', check);
      void exited.then(([code]) => reject(new Error(`the example exited (${code}) before asking to press Enter:\n${stdout}\n${stderr}`)), reject);
    });
    await prompted;
    const link = /Authorize connector: (\S+)/.exec(stdout)?.[1];
    if (!link) throw new Error(`no authorization link in the output:\n${stdout}`);
    await authorize(link);
    child.stdin!.end('\n');
    const [exitCode] = await exited;
    return { exitCode, stdout, stderr, link };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill();
    await rm(cwd, { recursive: true, force: true });
  }
}
