/** Folds the samples of every round into one row per scenario, concurrency and target. */
import type { TargetName } from './bench-target.ts';
import type { Sample, ScenarioName } from './sample.ts';
import { median, spread, type Spread } from './stats.ts';

function medianPerMethod(group: readonly Sample[]): Record<string, number> {
  const methods = new Set(group.flatMap((s) => Object.keys(s.upstreamPerOp ?? {})));
  const result: Record<string, number> = {};
  for (const method of [...methods].sort()) {
    result[method] = median(group.map((s) => s.upstreamPerOp?.[method] ?? 0));
  }
  return result;
}

export interface SummaryRow {
  readonly scenario: ScenarioName;
  readonly concurrency: number;
  readonly target: TargetName;
  readonly rounds: number;
  readonly rate: Spread;
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
  readonly serverCpuUsPerOp: Spread | undefined;
  readonly failures: number;
  /** Median over rounds of the upstream requests per operation, by JSON-RPC method. */
  readonly upstreamPerOp: Readonly<Record<string, number>>;
  /** Median over rounds of the load side's CPU use, in % of one CPU. */
  readonly loadCpuPercent: number | undefined;
  /** Highest CPU load from outside the benchmark seen in any round, in % of one CPU. */
  readonly maxForeignCpuPercent: number | undefined;
}

export function summarize(samples: readonly Sample[]): SummaryRow[] {
  const groups = new Map<string, Sample[]>();
  for (const sample of samples) {
    const key = `${sample.scenario}/${sample.concurrency}/${sample.target}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [sample]);
    else group.push(sample);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const cpu = group.flatMap((s) =>
      s.serverCpuUsPerOp === undefined ? [] : [s.serverCpuUsPerOp],
    );
    return {
      scenario: first.scenario,
      concurrency: first.concurrency,
      target: first.target,
      rounds: group.length,
      rate: spread(group.map((s) => s.rate)),
      p50Ms: spread(group.map((s) => s.p50Ms)),
      p99Ms: spread(group.map((s) => s.p99Ms)),
      serverCpuUsPerOp: cpu.length === group.length ? spread(cpu) : undefined,
      failures: group.reduce((sum, s) => sum + s.failures, 0),
      upstreamPerOp: medianPerMethod(group),
      loadCpuPercent: group.every((s) => s.loadCpuPercent !== undefined)
        ? median(group.map((s) => s.loadCpuPercent ?? 0))
        : undefined,
      maxForeignCpuPercent: group.every((s) => s.foreignCpuPercent !== undefined)
        ? Math.max(...group.map((s) => s.foreignCpuPercent ?? 0))
        : undefined,
    };
  });
}

export function findRow(
  rows: readonly SummaryRow[],
  scenario: ScenarioName,
  concurrency: number,
  target: TargetName,
): SummaryRow | undefined {
  return rows.find(
    (row) => row.scenario === scenario && row.concurrency === concurrency && row.target === target,
  );
}
