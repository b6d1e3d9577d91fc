/**
 * The usage counters port. `consume` is atomic: N concurrent calls against a
 * limit of N are all allowed and the next is refused, on one instance
 * (memory) or on many (Redis, same contract).
 *
 * Windows are fixed and aligned to the epoch (a per-minute window runs from
 * :00 to :59 of each minute, a per-day window is a UTC day), so limits reset
 * on schedule and every instance agrees on where a window starts without
 * sharing a clock beyond NTP.
 */

export interface ConsumeResult {
  readonly allowed: boolean;
  /** Requests still allowed in the current window after this one. */
  readonly remaining: number;
  /** Time until the window resets (0 when allowed). */
  readonly retryAfterMs: number;
}

/** A scope's counters in the window that holds the time of the read. */
export interface UsageReading {
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Every counter of the scope used in this window (count ≥ 1), in no particular order. */
  readonly counters: readonly { readonly key: string; readonly count: number }[];
}

export interface UsageCounters {
  /**
   * Takes one unit from `key`'s counter unless it is at `limit`. `scope`
   * (default: the key itself) groups counters that `read` returns together,
   * such as every member's counter of one rule.
   */
  consume(
    key: string,
    windowMs: number,
    limit: number,
    scope?: string,
  ): ConsumeResult | Promise<ConsumeResult>;
  /** The counters consumed under `scope` in the current window; takes nothing. */
  read(scope: string, windowMs: number): Promise<UsageReading>;
}

interface Window {
  readonly key: string;
  readonly scope: string;
  readonly windowMs: number;
  start: number;
  count: number;
  end: number;
}

export function checkWindow(windowMs: number): void {
  if (!Number.isInteger(windowMs) || windowMs <= 0)
    throw new RangeError('windowMs must be a positive integer');
}

/** Windows kept before expired ones are swept; a bound on memory, not on correctness. */
const SWEEP_AT = 10_000;

/** The memory adapter answers at once: one instance, one event loop, so each consume is atomic. */
export interface MemoryUsageCounters extends UsageCounters {
  consume(key: string, windowMs: number, limit: number, scope?: string): ConsumeResult;
}

export function createMemoryUsageCounters(now: () => number = Date.now): MemoryUsageCounters {
  const windows = new Map<string, Window>();
  const sweep = (at: number): void => {
    for (const [key, window] of windows) if (window.end <= at) windows.delete(key);
  };
  return {
    consume(key, windowMs, limit, scope = key) {
      checkWindow(windowMs);
      if (!Number.isInteger(limit) || limit < 0)
        throw new RangeError('limit must be a non-negative integer');
      const at = now();
      const start = at - (at % windowMs);
      const end = start + windowMs;
      const slot = `${windowMs}\u0000${key}`;
      let window = windows.get(slot);
      if (window === undefined || window.start !== start) {
        if (windows.size >= SWEEP_AT) sweep(at);
        window = { key, scope, windowMs, start, count: 0, end };
        windows.set(slot, window);
      }
      if (window.count >= limit) return { allowed: false, remaining: 0, retryAfterMs: end - at };
      window.count += 1;
      return { allowed: true, remaining: limit - window.count, retryAfterMs: 0 };
    },
    // A scan, not an index: reads are admin page loads, and the map is bounded by the sweep.
    async read(scope, windowMs) {
      checkWindow(windowMs);
      const at = now();
      const start = at - (at % windowMs);
      const counters: { key: string; count: number }[] = [];
      for (const window of windows.values())
        if (
          window.scope === scope &&
          window.windowMs === windowMs &&
          window.start === start &&
          window.count > 0
        )
          counters.push({ key: window.key, count: window.count });
      return { windowStart: start, windowEnd: start + windowMs, counters };
    },
  };
}
