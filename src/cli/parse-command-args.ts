import { parseArgs } from 'node:util';
import type { ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from './cli-command.ts';

/** node:util parseArgs in strict mode, with its errors turned into UsageErrors. */
export function parseCommandArgs<T extends ParseArgsOptionsConfig>(
  args: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.split('\n')[0] ?? message);
  }
}

/** The value of an integer flag such as `--port`. */
export function integerFlag(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
  return value;
}
