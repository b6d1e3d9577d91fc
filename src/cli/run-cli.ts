/**
 * The `portcullis` command line: picks the subcommand, prints help, and
 * turns errors into messages and exit codes (usage 2, failure 1).
 */
import { ConfigError } from '../config/runtime-config.ts';
import { isStoreError } from '../store/store-error.ts';
import { applyCommand } from './apply-command.ts';
import { auditCommand } from './audit-command.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './cli-command.ts';
import { migrateCommand } from './migrate-command.ts';
import { rotateKeyCommand } from './rotate-key-command.ts';
import { serveCommand } from './serve-command.ts';
import { validateConfigCommand } from './validate-config-command.ts';

const commands: readonly CliCommand[] = [
  serveCommand,
  applyCommand,
  migrateCommand,
  rotateKeyCommand,
  validateConfigCommand,
  auditCommand,
];

const mainHelp = `Usage: portcullis <command> [options]

Portcullis is a self-hosted MCP gateway.

Commands:
${commands.map((command) => `  ${command.name.padEnd(16)}${command.summary}`).join('\n')}

Run \`portcullis <command> --help\` for a command's options.
Settings: PORTCULLIS_* environment variables, see docs/configuration.md.`;

function isHelp(arg: string | undefined): boolean {
  return arg === '--help' || arg === '-h' || arg === 'help';
}

/** The message and its causes; the stack too when debugging. */
function describeError(error: unknown, env: CliIo['env']): string {
  if (!(error instanceof Error)) return String(error);
  if (env.PORTCULLIS_LOG_LEVEL === 'debug' || env.PORTCULLIS_LOG_LEVEL === 'trace')
    return error.stack ?? error.message;
  const parts = [error.message];
  for (let cause = error.cause; cause instanceof Error; cause = cause.cause)
    parts.push(cause.message);
  return parts.join(': ');
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || isHelp(name)) {
    const topic = isHelp(name) ? commands.find((command) => command.name === args[0]) : undefined;
    if (name === undefined) {
      io.err(mainHelp);
      return EXIT_USAGE;
    }
    io.out(topic?.help ?? mainHelp);
    return EXIT_OK;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.err(`portcullis: unknown command "${name}"\n\n${mainHelp}`);
    return EXIT_USAGE;
  }
  if (args.some((arg) => arg === '--help' || arg === '-h')) {
    io.out(command.help);
    return EXIT_OK;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(
        `portcullis ${command.name}: ${error.message}\nRun \`portcullis ${command.name} --help\` for usage.`,
      );
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      io.err(error.message);
      return EXIT_FAILURE;
    }
    if (isStoreError(error)) {
      io.err(`portcullis ${command.name}: ${error.message}`);
      return EXIT_FAILURE;
    }
    io.err(`portcullis ${command.name} failed: ${describeError(error, io.env)}`);
    return EXIT_FAILURE;
  }
}
