/**
 * Entry point of the `portcullis` binary (`npm start` runs `serve`). The
 * only side effects of the command line live here: process arguments,
 * signals, exit code.
 */
import { processEnvironment } from '../config/runtime-config.ts';
import type { CliIo } from './cli-command.ts';
import { runCli } from './run-cli.ts';

function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second signal while shutting down ends the process at once.
      process.once(signal, () => process.exit(130));
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const io: CliIo = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: processEnvironment(),
    stopSignal: waitForStopSignal,
  };
  process.exitCode = await runCli(argv, io);
}

if (import.meta.main) await main();
