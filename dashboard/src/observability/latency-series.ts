/**
 * The arithmetic of the "Latency over time" chart. The API gives p50, p95
 * and p99 for the buckets that had requests only; a bucket without requests
 * has no latency (not a latency of zero), so the lines break there instead of
 * dropping to the axis.
 */
import { bucketStarts } from './chart-scale.ts';

export const PERCENTILES = ['p50', 'p95', 'p99'] as const;
export type Percentile = (typeof PERCENTILES)[number];

export interface LatencyBucket {
  readonly start: string;
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** One bucket of the range: the API's figures, or `null` where it had no request. */
export interface LatencySlot {
  readonly start: string;
  readonly bucket: LatencyBucket | null;
}

export function fillLatency(
  series: readonly LatencyBucket[],
  since: string,
  until: string,
  bucketMs: number,
): LatencySlot[] {
  const known = new Map(series.map((b) => [Date.parse(b.start), b]));
  return bucketStarts(since, until, bucketMs).map((start) => ({
    start: new Date(start).toISOString(),
    bucket: known.get(start) ?? null,
  }));
}

/**
 * An SVG path through the points that have a value, a new sub-path (`M`)
 * after every gap. A point alone between gaps is a bare `M`: draw markers too.
 */
export function linePath(
  values: readonly (number | null)[],
  x: (index: number) => number,
  y: (value: number) => number,
): string {
  const parts: string[] = [];
  let drawing = false;
  values.forEach((value, index) => {
    if (value === null) {
      drawing = false;
      return;
    }
    parts.push(`${drawing ? 'L' : 'M'}${round(x(index))} ${round(y(value))}`);
    drawing = true;
  });
  return parts.join(' ');
}

const round = (n: number) => Math.round(n * 100) / 100;

export interface LatencyTotals {
  /** Requests over every bucket. */
  readonly count: number;
  /** The bucket with the highest p99, the first of equals. */
  readonly slowest: LatencyBucket | undefined;
  /** The highest value on the chart (the highest p99), 0 with no bucket. */
  readonly max: number;
}

export function latencyTotals(series: readonly LatencyBucket[]): LatencyTotals {
  let count = 0;
  let slowest: LatencyBucket | undefined;
  for (const b of series) {
    count += b.count;
    if (slowest === undefined || b.p99 > slowest.p99) slowest = b;
  }
  // p99 ≥ p95 ≥ p50 by nearest rank over one sorted bucket.
  return { count, slowest, max: slowest?.p99 ?? 0 };
}

/**
 * Which values get a marker: every one on a sparse chart, and on a dense one
 * (more than `dense` slots) only those a line cannot show, between two gaps.
 */
export function markerIndexes(values: readonly (number | null)[], dense = 120): number[] {
  const indexes: number[] = [];
  values.forEach((value, index) => {
    if (value === null) return;
    const alone = (values[index - 1] ?? null) === null && (values[index + 1] ?? null) === null;
    if (values.length <= dense || alone) indexes.push(index);
  });
  return indexes;
}
