/**
 * Starts one of the bench servers (cheap upstream, blind proxy) as its own Node
 * process, optionally pinned to a CPU, and waits for the `{"url":…}` line it prints
 * once it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { CpuPinning } from './cpu-pinning.ts';
import type { RunningServer } from './running-server.ts';

export interface ServerProcess extends RunningServer {
  readonly pid: number | undefined;
}

export interface ServerProcessOptions {
  /** Label used in error messages. */
  readonly name: string;
  /** Absolute path of the .ts entry point. */
  readonly script: string;
  readonly args?: readonly string[];
  readonly pinning: CpuPinning;
  readonly cpu: number | undefined;
  readonly startTimeoutMs?: number;
}

/** Sends SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function spawnServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const [file, args] = options.pinning.wrap(options.cpu, process.execPath, [
    options.script,
    ...(options.args ?? []),
  ]);
  // taskset execs the command, so the child's pid is the Node process itself.
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const timeoutMs = options.startTimeoutMs ?? 15_000;

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.name} did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited before listening (${signal ?? `code ${code}`})`));
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`${options.name} printed an unexpected first line: ${line}`));
      }
    });
  }).catch(async (error: unknown) => {
    await stopChild(child);
    throw error;
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  lines.on('line', () => {});

  return { url, pid: child.pid, close: () => stopChild(child) };
}
