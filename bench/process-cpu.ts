/**
 * CPU time a process has used, every thread included. Dividing the difference over
 * a run by the operations served gives the server's CPU cost per operation, which is
 * steadier than req/s on a noisy VM.
 *
 * Linux only. The nanosecond run time in /proc/<pid>/task/<tid>/schedstat is
 * preferred: the tick-sampled utime/stime of /proc/<pid>/stat misattribute a
 * process that wakes for a few microseconds thousands of times a second (one
 * connection at a time) by a large factor.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc CPU times. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

function fromSchedstat(pid: number): number | undefined {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return Number.isFinite(total) ? total / 1e6 : undefined;
}

function fromStat(pid: number): number | undefined {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15, i.e. indexes 11 and 12 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / clockTicksPerSecond() : undefined;
}

/** Milliseconds of CPU used so far, or undefined where /proc is not available. */
export function readProcessCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return fromSchedstat(pid);
  } catch {
    try {
      return fromStat(pid);
    } catch {
      return undefined;
    }
  }
}
