/**
 * Busy CPU time of the whole machine, from the first line of /proc/stat. Compared
 * with the CPU time of the benchmark's own processes it shows how much other work
 * shared the machine during a measurement; on a shared VM that is the main source
 * of noise, so the report states it instead of hiding it.
 */
import { readFileSync } from 'node:fs';
import { clockTicksPerSecond, readProcessCpuMs } from './process-cpu.ts';

/** Milliseconds all CPUs together spent not idle, or undefined without /proc. */
export function readSystemBusyMs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  // irq and softirq are left out: loopback traffic is processed there, and that is
  // the benchmark's own work, which the kernel does not charge to its processes.
  const fields = stat.slice(0, stat.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , , , steal] = fields;
  const busy = [user, nice, system, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0);
  return Number.isFinite(busy) ? (busy * 1000) / clockTicksPerSecond() : undefined;
}

/** Above this much CPU used by other processes (% of one CPU) a measurement is disturbed. */
export const DISTURBED_PERCENT = 10;

function sumCpuMs(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const ms = readProcessCpuMs(pid);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}

export interface CpuAccounting<T> {
  readonly result: T;
  /** CPU used by processes other than the benchmark's own, in % of one CPU. */
  readonly foreignCpuPercent: number | undefined;
  /** CPU used by the load side (load generator and the upstream beside it), in % of one CPU. */
  readonly loadCpuPercent: number | undefined;
}

/**
 * Runs `work` and reports, in % of one CPU (100 = one whole core), how busy the
 * load side was, and how much CPU processes outside `ownPids` used meanwhile.
 */
export async function withCpuAccounting<T>(
  ownPids: readonly number[],
  loadPids: readonly number[],
  work: () => Promise<T>,
): Promise<CpuAccounting<T>> {
  const systemBefore = readSystemBusyMs();
  const ownBefore = sumCpuMs(ownPids);
  const loadBefore = sumCpuMs(loadPids);
  const started = performance.now();
  const result = await work();
  const elapsedMs = performance.now() - started;
  const systemAfter = readSystemBusyMs();
  const ownAfter = sumCpuMs(ownPids);
  const loadAfter = sumCpuMs(loadPids);
  const percent = (ms: number): number => Math.max(0, (ms / elapsedMs) * 100);
  return {
    result,
    foreignCpuPercent:
      systemBefore === undefined ||
      systemAfter === undefined ||
      ownBefore === undefined ||
      ownAfter === undefined
        ? undefined
        : percent(systemAfter - systemBefore - (ownAfter - ownBefore)),
    loadCpuPercent:
      loadBefore === undefined || loadAfter === undefined
        ? undefined
        : percent(loadAfter - loadBefore),
  };
}

/**
 * Waits, at most `maxWaitS` seconds, for a one-second window in which the machine
 * is almost idle (the benchmark's own processes are idle between measurements, so
 * any busy time is other work). Returns the load of the last window, in % of one CPU.
 */
export async function waitForQuiet(
  maxWaitS: number,
  thresholdPercent = DISTURBED_PERCENT,
): Promise<number | undefined> {
  const deadline = performance.now() + maxWaitS * 1000;
  let load: number | undefined;
  do {
    const before = readSystemBusyMs();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = readSystemBusyMs();
    if (before === undefined || after === undefined) return undefined;
    load = ((after - before) / 1000) * 100;
    if (load < thresholdPercent) return load;
  } while (performance.now() < deadline);
  return load;
}
