import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/program.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `toolproxy` command in-process with captured output (no TTY) and the given environment. */
export async function cli(args: string[], env: Record<string, string | undefined> = {}, cwd = process.cwd()): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        append(chunk.toString());
        callback();
      },
    });
  const code = await runCli(args, {
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
    env,
    cwd,
  });
  return { code, stdout, stderr };
}
