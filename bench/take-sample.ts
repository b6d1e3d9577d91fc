/**
 * Takes one recorded measurement and adds what the scenario itself cannot see: how
 * much other work shared the machine meanwhile, and how many upstream requests each
 * operation caused; and, on request, waits for a quiet machine first.
 */
import type { BenchTarget } from './bench-target.ts';
import type { Sample } from './sample.ts';
import { DISTURBED_PERCENT, waitForQuiet, withCpuAccounting } from './system-load.ts';
import { perOperation, readUpstreamStats } from './upstream-stats.ts';

export async function takeSample(
  target: BenchTarget,
  ownPids: readonly number[],
  measure: () => Promise<Sample>,
): Promise<Sample> {
  const statsUrl = target.upstreamStatsUrl;
  const before = statsUrl === undefined ? undefined : await readUpstreamStats(statsUrl);
  const loadPids = [process.pid, ...target.loadSidePids];
  const { result, foreignCpuPercent, loadCpuPercent } = await withCpuAccounting(
    ownPids,
    loadPids,
    measure,
  );
  const after = statsUrl === undefined ? undefined : await readUpstreamStats(statsUrl);
  return {
    ...result,
    foreignCpuPercent,
    loadCpuPercent,
    upstreamPerOp:
      before === undefined || after === undefined
        ? undefined
        : perOperation(before, after, result.operations),
  };
}

/** Attempts per measurement with --wait-quiet. */
const QUIET_ATTEMPTS = 3;

/**
 * With --wait-quiet, waits for a quiet machine before measuring and repeats a
 * measurement that other work disturbed anyway, keeping the least disturbed attempt.
 * The choice depends only on the other load, never on the figures measured.
 */
export async function measureQuietly(
  waitQuietS: number,
  measure: () => Promise<Sample>,
): Promise<Sample> {
  const attempts = waitQuietS > 0 ? QUIET_ATTEMPTS : 1;
  let best: Sample | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (waitQuietS > 0) await waitForQuiet(waitQuietS);
    const sample = await measure();
    const load = sample.foreignCpuPercent ?? 0;
    if (best === undefined || load < (best.foreignCpuPercent ?? 0)) best = sample;
    if (load <= DISTURBED_PERCENT) break;
    if (attempt < attempts) {
      console.error(`  disturbed (${load.toFixed(0)} % other load), measuring again`);
    }
  }
  return best!;
}
