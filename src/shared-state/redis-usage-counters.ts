/**
 * Usage counters in Redis: the same contract as the memory adapter
 * (src/policy/usage-limits-counters.ts) across every instance. One Lua
 * script reads, checks and increments, so N concurrent consumes against a
 * limit of N are all allowed and the next is refused wherever they run.
 *
 * Fails closed: when Redis cannot be reached the call is refused with
 * `shared_state_unavailable` (503, retryable) rather than counted per
 * instance, which would allow N per instance instead of N in all.
 */
import type { ConsumeResult, UsageCounters } from '../policy/usage-limits-counters.ts';
import type { RedisConnection } from './redis-connection.ts';

/** KEYS[1] window counter; ARGV limit, ms until the window ends. Returns {allowed, count, pttl}. */
const CONSUME = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then return {0, count} end
count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {1, count}`;

/** Counters outlive their window by this much, so a late consume never sees a reset window. */
const EXPIRY_SLACK_MS = 1_000;

/** Every consume is a round trip to Redis. */
export interface RedisUsageCounters extends UsageCounters {
  consume(key: string, windowMs: number, limit: number): Promise<ConsumeResult>;
}

export function createRedisUsageCounters(
  redis: RedisConnection,
  prefix: string,
  now: () => number = Date.now,
): RedisUsageCounters {
  return {
    async consume(key, windowMs, limit): Promise<ConsumeResult> {
      if (!Number.isInteger(windowMs) || windowMs <= 0)
        throw new RangeError('windowMs must be a positive integer');
      if (!Number.isInteger(limit) || limit < 0)
        throw new RangeError('limit must be a non-negative integer');
      const at = now();
      // Epoch-aligned windows, as in memory: every instance agrees on the window's start.
      const start = at - (at % windowMs);
      const end = start + windowMs;
      const name = `${prefix}usage:${windowMs}:${start}:${key}`;
      const reply = await redis.run('The usage limit cannot be checked', (client) =>
        client.eval(CONSUME, {
          keys: [name],
          arguments: [String(limit), String(end - at + EXPIRY_SLACK_MS)],
        }),
      );
      const [allowed, count] = reply as [number, number];
      if (allowed !== 1) return { allowed: false, remaining: 0, retryAfterMs: end - at };
      return { allowed: true, remaining: limit - count, retryAfterMs: 0 };
    },
  };
}
