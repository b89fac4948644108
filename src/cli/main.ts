#!/usr/bin/env node
import { runCli } from './program.ts';

/** The `toolproxy` bin. Exit codes: 0 ok, 1 error, 2 usage, 3 invalid definitions, 4 upstream status (docs/cli.md). */
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`toolproxy: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
