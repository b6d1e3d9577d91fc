/**
 * The MCP Inspector CLI (`mcp-inspector --cli`, v2) as a test client: runs it
 * with stdin from /dev/null (no TTY: it must never wait for a browser) and a
 * throwaway HOME, and parses its JSON output and error envelope.
 */
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// Run with this Node: the bin's `#!/usr/bin/env node` may find an older system one.
const INSPECTOR = realpathSync(
  path.resolve(import.meta.dirname, '../../node_modules/.bin/mcp-inspector'),
);
/** Documented exit codes (Inspector CLI docs, "Exit codes"). */
export const EXIT = { ok: 0, authRequired: 3, toolError: 5 } as const;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON object `--format json` prints. */
  output: { result?: unknown } | undefined;
  /** The one-line JSON error envelope on stderr, when there is one. */
  error: { code?: string; message?: string } | undefined;
}

/**
 * Runs the CLI with stdin from /dev/null (no TTY: it must never wait for a
 * browser) and a throwaway HOME, so no stored OAuth state is read or written.
 */
export async function inspect(
  url: string,
  args: string[],
  authorization?: string,
): Promise<CliRun> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'inspector-home-'));
  try {
    const argv = [
      '--cli',
      url,
      '--transport',
      'http',
      '--format',
      'json',
      ...(authorization === undefined ? [] : ['--header', `Authorization: ${authorization}`]),
      ...args,
    ];
    const { code, stdout, stderr } = await new Promise<{
      code: number;
      stdout: string;
      stderr: string;
    }>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        [INSPECTOR, ...argv],
        { env: { ...process.env, HOME: home, NO_COLOR: '1' }, timeout: 20_000 },
        (error, out, err) => {
          if (error !== null && typeof error.code !== 'number') {
            reject(new Error(`mcp-inspector did not run: ${error.message}`, { cause: error }));
            return;
          }
          resolve({ code: error === null ? 0 : Number(error.code), stdout: out, stderr: err });
        },
      );
      child.stdin?.end();
    });
    let output: CliRun['output'];
    try {
      output = stdout.trim() ? (JSON.parse(stdout) as CliRun['output']) : undefined;
    } catch {
      output = undefined;
    }
    const errorLine = stderr
      .split('\n')
      .reverse()
      .find((line) => line.startsWith('{"error"'));
    const error = errorLine
      ? (JSON.parse(errorLine) as { error: CliRun['error'] }).error
      : undefined;
    return { code, stdout, stderr, output, error };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
