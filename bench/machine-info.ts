/** The machine a run happened on, as the report states it. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  /** CPUs this process may use (what `nproc` prints). */
  readonly nproc: number;
  readonly cpuModel: string;
  readonly os: string;
  readonly node: string;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line !== undefined) return line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // Not Linux; fall back to what libuv reports.
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function readMachineInfo(): MachineInfo {
  return {
    nproc: os.availableParallelism(),
    cpuModel: cpuModel(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}
