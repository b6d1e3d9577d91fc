/** The shape every `portcullis` subcommand has, and what it may touch. */

export interface CliIo {
  /** Writes one line (a newline is added) to standard output. */
  out(line: string): void;
  /** Writes one line to standard error. */
  err(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Resolves when the process is asked to stop (SIGINT, SIGTERM); only
   * long-running commands (serve) wait on it.
   */
  stopSignal(): Promise<string>;
}

export interface CliCommand {
  readonly name: string;
  /** One line for `portcullis --help`. */
  readonly summary: string;
  /** Full `--help` text. */
  readonly help: string;
  /** Resolves to the process exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Bad command-line input: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
