/**
 * Usage counters in Redis: the same contract as the memory adapter
 * (src/policy/usage-limits-counters.ts) across every instance. One Lua
 * script reads, checks and increments, so N concurrent consumes against a
 * limit of N are all allowed and the next is refused wherever they run.
 *
 * The first unit of each counter in a window also enters its scope's set
 * (same script, same expiry), so reading a scope's counters is one SMEMBERS
 * and one MGET, without scanning the keyspace.
 *
 * Fails closed: when Redis cannot be reached the call is refused with
 * `shared_state_unavailable` (503, retryable) rather than counted per
 * instance, which would allow N per instance instead of N in all.
 */
import { checkWindow } from '../policy/usage-limits-counters.ts';
import type {
  ConsumeResult,
  UsageCounters,
  UsageReading,
} from '../policy/usage-limits-counters.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * KEYS[1] window counter, KEYS[2] the scope's set of counters in the window;
 * ARGV limit, ms until the window ends (plus slack), the counter's key.
 * Returns {allowed, count}.
 */
const CONSUME = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then return {0, count} end
count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return {1, count}`;

/** Counters outlive their window by this much, so a late consume never sees a reset window. */
const EXPIRY_SLACK_MS = 1_000;

/** Every consume is a round trip to Redis. */
export interface RedisUsageCounters extends UsageCounters {
  consume(key: string, windowMs: number, limit: number, scope?: string): Promise<ConsumeResult>;
}

export function createRedisUsageCounters(
  redis: RedisConnection,
  prefix: string,
  now: () => number = Date.now,
): RedisUsageCounters {
  const counterName = (windowMs: number, start: number, key: string) =>
    `${prefix}usage:${windowMs}:${start}:${key}`;
  const scopeName = (windowMs: number, start: number, scope: string) =>
    `${prefix}usage-scope:${windowMs}:${start}:${scope}`;
  return {
    async consume(key, windowMs, limit, scope = key): Promise<ConsumeResult> {
      checkWindow(windowMs);
      if (!Number.isInteger(limit) || limit < 0)
        throw new RangeError('limit must be a non-negative integer');
      const at = now();
      // Epoch-aligned windows, as in memory: every instance agrees on the window's start.
      const start = at - (at % windowMs);
      const end = start + windowMs;
      const reply = await redis.run('The usage limit cannot be checked', (client) =>
        client.eval(CONSUME, {
          keys: [counterName(windowMs, start, key), scopeName(windowMs, start, scope)],
          arguments: [String(limit), String(end - at + EXPIRY_SLACK_MS), key],
        }),
      );
      const [allowed, count] = reply as [number, number];
      if (allowed !== 1) return { allowed: false, remaining: 0, retryAfterMs: end - at };
      return { allowed: true, remaining: limit - count, retryAfterMs: 0 };
    },
    async read(scope, windowMs): Promise<UsageReading> {
      checkWindow(windowMs);
      const at = now();
      const start = at - (at % windowMs);
      const counters = await redis.run('The usage counts cannot be read', async (client) => {
        const keys = await client.sMembers(scopeName(windowMs, start, scope));
        if (keys.length === 0) return [];
        const counts = await client.mGet(keys.map((key) => counterName(windowMs, start, key)));
        return keys.flatMap((key, i) => {
          const count = Number(counts[i] ?? 0);
          return count > 0 ? [{ key, count }] : [];
        });
      });
      return { windowStart: start, windowEnd: start + windowMs, counters };
    },
  };
}
