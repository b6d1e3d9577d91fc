/**
 * CPU pinning with `taskset` (util-linux): the server under test gets one CPU, the
 * load generator and the upstream another, so they do not steal each other's time.
 * Without taskset, or with fewer than two usable CPUs, everything runs unpinned and
 * the report says so.
 */
import { execFileSync } from 'node:child_process';

export interface CpuPinning {
  /** False when taskset is missing, disabled, or fewer than two CPUs are usable. */
  readonly isActive: boolean;
  /** CPU for the process being measured (the gateway, the blind proxy, the direct upstream). */
  readonly serverCpu: number | undefined;
  /** CPU of the load generator (this process). */
  readonly loadCpu: number | undefined;
  /** CPU of the upstream behind a proxy: a third CPU when there is one, else the load CPU. */
  readonly upstreamCpu: number | undefined;
  /** Why pinning is off, for the report. */
  readonly note: string;
  /** Wraps a command so it starts pinned to `cpu` (unchanged when pinning is off). */
  wrap(cpu: number | undefined, file: string, args: readonly string[]): [string, string[]];
  /** Pins every thread of an already running process. */
  pinProcess(pid: number, cpu: number | undefined): void;
}

/** Parses taskset's list syntax, such as `0-3,6`. */
function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [from, to] = part.trim().split('-').map(Number);
    if (from === undefined || Number.isNaN(from)) continue;
    for (let cpu = from; cpu <= (to ?? from); cpu++) cpus.push(cpu);
  }
  return cpus;
}

function unpinned(note: string): CpuPinning {
  return {
    isActive: false,
    serverCpu: undefined,
    loadCpu: undefined,
    upstreamCpu: undefined,
    note,
    wrap: (_cpu, file, args) => [file, [...args]],
    pinProcess: () => {},
  };
}

export function detectCpuPinning(isWanted: boolean): CpuPinning {
  if (!isWanted) return unpinned('pinning disabled (--no-pin)');
  if (process.platform !== 'linux') return unpinned(`no taskset on ${process.platform}`);
  let affinity: string;
  try {
    // "pid 123's current affinity list: 0,1"
    affinity = execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  } catch {
    return unpinned('taskset not found (install util-linux to pin CPUs)');
  }
  const cpus = parseCpuList(affinity.slice(affinity.lastIndexOf(':') + 1));
  const [serverCpu, loadCpu, thirdCpu] = cpus;
  if (serverCpu === undefined || loadCpu === undefined)
    return unpinned(`only ${cpus.length} usable CPU; pinning needs two`);
  return {
    isActive: true,
    serverCpu,
    loadCpu,
    upstreamCpu: thirdCpu ?? loadCpu,
    note:
      thirdCpu === undefined
        ? `server under test on CPU ${serverCpu}; load generator and upstream on CPU ${loadCpu}`
        : `server under test on CPU ${serverCpu}; load generator on CPU ${loadCpu}; ` +
          `upstream on CPU ${thirdCpu}`,
    wrap: (cpu, file, args) =>
      cpu === undefined ? [file, [...args]] : ['taskset', ['-c', String(cpu), file, ...args]],
    pinProcess: (pid, cpu) => {
      if (cpu === undefined) return;
      execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
    },
  };
}
