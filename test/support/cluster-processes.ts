/**
 * Child processes of the scale-out harness: spawned with their output kept
 * for diagnostics, stopped with a signal and killed when they overstay.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const STOP_TIMEOUT_MS = 15_000;

export interface LoggedChild {
  process: ChildProcess;
  /** Everything the process wrote (last 64 KB). */
  output: () => string;
  exited: Promise<void>;
}

export function spawnLogged(command: string, args: string[], env?: NodeJS.ProcessEnv): LoggedChild {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  const append = (chunk: string) => {
    log = (log + chunk).slice(-65_536);
  };
  child.stdout?.setEncoding('utf8').on('data', append);
  child.stderr?.setEncoding('utf8').on('data', append);
  child.on('error', (error) => append(`\n${error.message}\n`));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return { process: child, output: () => log, exited };
}

export const hasExited = (child: LoggedChild) =>
  child.process.exitCode !== null || child.process.signalCode !== null;

/** Sends `signal`, then SIGKILL if the process is still there after 15 s; resolves on exit. */
export async function stopChild(child: LoggedChild, signal: NodeJS.Signals): Promise<void> {
  if (hasExited(child)) return;
  child.process.kill(signal);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await child.exited;
  clearTimeout(timer);
}

/** The path of an executable on PATH or in /usr/sbin (Debian's nginx), if any. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin'];
  for (const dir of dirs.filter((entry) => entry !== '')) {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return path.join(dir, name);
    } catch {
      // keep looking
    }
  }
  return undefined;
}
