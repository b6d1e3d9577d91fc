/**
 * The arithmetic of the Analytics charts: value scales with round ticks,
 * time buckets filled in where the API left them out (it returns non-empty
 * buckets only, aligned on multiples of the bucket since the Unix epoch), and
 * which buckets get a time label.
 */

export const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type BucketName = keyof typeof BUCKET_MS;

/** The smallest 1, 2 or 5 × 10ⁿ at least `value` (1 for 0 or less). */
export function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value - power * 1e-9) return step * power;
  return 10 * power;
}

/**
 * A scale from 0 to a round maximum at least `max`, with about `count`
 * evenly spaced round ticks (whole numbers when `integer`: counts).
 */
export function valueTicks(
  max: number,
  count = 4,
  integer = true,
): { max: number; ticks: number[] } {
  let step = niceCeil(Math.max(max, 0) / count);
  if (integer) step = Math.max(1, Math.round(step));
  const top = Math.max(step, Math.ceil(Math.max(max, 0) / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let tick = 0; tick <= top + step * 1e-9; tick += step) ticks.push(round(tick));
  return { max: round(top), ticks };
}

const round = (value: number) => Math.round(value * 1e9) / 1e9;

/** Maps a value in [0, max] to a pixel in [start, end] (end may be smaller: SVG y grows down). */
export function linear(max: number, start: number, end: number): (value: number) => number {
  const span = max <= 0 ? 1 : max;
  return (value) => start + ((end - start) * Math.min(Math.max(value, 0), span)) / span;
}

export interface Bucket {
  start: string;
  requests: number;
  errors: number;
}

/**
 * The start (epoch ms) of every bucket from the one holding `since` to the
 * one holding the instant before `until`; none for a bad or inverted range.
 */
export function bucketStarts(since: string, until: string, bucketMs: number): number[] {
  const from = Math.floor(Date.parse(since) / bucketMs) * bucketMs;
  const to = Math.floor((Date.parse(until) - 1) / bucketMs) * bucketMs;
  if (!(bucketMs > 0) || Number.isNaN(from) || Number.isNaN(to) || to < from) return [];
  const starts: number[] = [];
  for (let start = from; start <= to; start += bucketMs) starts.push(start);
  return starts;
}

/** Every bucket of the range, the API's counts where it had them and zeros elsewhere. */
export function fillBuckets(
  series: readonly Bucket[],
  since: string,
  until: string,
  bucketMs: number,
): Bucket[] {
  const known = new Map(series.map((b) => [Date.parse(b.start), b]));
  return bucketStarts(since, until, bucketMs).map((start) => {
    const b = known.get(start);
    return {
      start: new Date(start).toISOString(),
      requests: b?.requests ?? 0,
      errors: b?.errors ?? 0,
    };
  });
}

/** Indexes of at most `count` buckets to label, evenly spread, the first always included. */
export function labelledIndexes(length: number, count = 6): number[] {
  if (length <= 0) return [];
  const every = Math.max(1, Math.ceil(length / count));
  const indexes: number[] = [];
  for (let i = 0; i < length; i += every) indexes.push(i);
  return indexes;
}

/** A bucket start as its axis label: the time of day for minutes and hours, the date for days. */
export function bucketLabel(start: string, bucket: BucketName, locale?: string): string {
  const date = new Date(start);
  if (bucket === 'day')
    return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric' }).format(date);
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(date);
}

/** Geometry of `count` bars side by side in `width` pixels, a gap a fraction of each slot. */
export function barSlots(
  count: number,
  width: number,
  gapRatio = 0.2,
): { x: (index: number) => number; width: number } {
  const slot = count <= 0 ? width : width / count;
  const bar = Math.max(1, slot * (1 - gapRatio));
  return { x: (index) => index * slot + (slot - bar) / 2, width: bar };
}
