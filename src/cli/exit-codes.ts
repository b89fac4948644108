/** Exit codes of the `toolproxy` command; docs/cli.md lists the same. */
export const EXIT = {
  OK: 0,
  /** The server refused the call, or it could not be reached. */
  ERROR: 1,
  /** The command line is wrong (unknown command or option, missing argument, bad value). */
  USAGE: 2,
  /** `connectors apply`: the definition file has problems (every one is printed). */
  INVALID: 3,
  /** `request --fail`, `tools run`: the upstream API answered with a status outside 200–299. */
  UPSTREAM_STATUS: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: its lines go to stderr as they are, and the command exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly lines: string[];

  constructor(exitCode: ExitCode, message: string, lines: string[] = []) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.lines = lines;
  }
}

export const usageError = (message: string): CliError => new CliError(EXIT.USAGE, message);
