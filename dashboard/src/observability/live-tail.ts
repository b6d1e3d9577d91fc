/**
 * Live tail of the Logs view. The API lists records newest first with an
 * inclusive `since`; records are written in batches off the hot path and a
 * record's time is when handling started, so a slow call can land after a
 * quicker, later one. Each poll therefore asks from a little before the
 * newest record shown and merges by id.
 */

export const TAIL_INTERVAL_MS = 2_000;
/** How far before the newest shown record a poll looks again. */
export const TAIL_LOOKBACK_MS = 60_000;

interface Timed {
  readonly id: string;
  readonly time: string;
}

/** Newest first: by time, then by id, as the API orders them. */
export function compareNewestFirst(a: Timed, b: Timed): number {
  const byTime = Date.parse(b.time) - Date.parse(a.time);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The `since` of the next poll: the newest shown record's time less the look-back, never before `floor`. */
export function tailSince(shown: readonly Timed[], floor: string | undefined): string | undefined {
  const newest = shown.reduce<number | undefined>((max, record) => {
    const time = Date.parse(record.time);
    return max === undefined || time > max ? time : max;
  }, undefined);
  if (newest === undefined) return floor;
  const since = newest - TAIL_LOOKBACK_MS;
  if (floor !== undefined && Date.parse(floor) > since) return floor;
  return new Date(since).toISOString();
}

/** `shown` with the records of `incoming` it lacks, newest first; `added` counts them. */
export function mergeRecords<T extends Timed>(
  shown: readonly T[],
  incoming: readonly T[],
): { records: T[]; added: number } {
  const known = new Set(shown.map((record) => record.id));
  const fresh = incoming.filter((record) => !known.has(record.id));
  if (fresh.length === 0) return { records: [...shown], added: 0 };
  return { records: [...fresh, ...shown].sort(compareNewestFirst), added: fresh.length };
}
