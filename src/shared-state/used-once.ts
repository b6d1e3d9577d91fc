/**
 * Ids that may be used once until they expire, across every instance: an
 * accepted confirmation's sealed `requestState` is spent by its first use,
 * so a replay of the same state on any instance is refused. The id is
 * remembered only for the lifetime of what it names; past `expiresAt` the
 * thing itself is refused on its own, so forgetting it then is safe.
 */
import type { RedisConnection } from './redis-connection.ts';

export interface UsedOnce {
  /**
   * Marks `id` used until `expiresAt` (epoch ms). True for the first use
   * only; false when it was used already, or when `expiresAt` is past.
   */
  use(id: string, expiresAt: number): Promise<boolean>;
}

function checkId(id: string): void {
  if (id === '') throw new RangeError('id must not be empty');
}

/** Expired ids are swept once this many uses have been recorded since the last sweep. */
const SWEEP_EVERY = 1_024;

export function createMemoryUsedOnce(now: () => number = Date.now): UsedOnce {
  const used = new Map<string, number>();
  let sinceSweep = 0;
  const sweep = (at: number) => {
    for (const [id, expiresAt] of used) if (expiresAt <= at) used.delete(id);
    sinceSweep = 0;
  };
  return {
    async use(id, expiresAt) {
      checkId(id);
      const at = now();
      if (expiresAt <= at) return false;
      const seen = used.get(id);
      if (seen !== undefined && seen > at) return false;
      used.set(id, expiresAt);
      if (++sinceSweep >= SWEEP_EVERY) sweep(at);
      return true;
    },
  };
}

/**
 * One `SET NX PXAT` per use: atomic, so of concurrent uses on several
 * instances exactly one wins. Fails closed: an unreachable Redis throws
 * `shared_state_unavailable` and the caller refuses, never "allowed".
 */
export function createRedisUsedOnce(
  redis: RedisConnection,
  prefix: string,
  now: () => number = Date.now,
): UsedOnce {
  return {
    async use(id, expiresAt) {
      checkId(id);
      if (expiresAt <= now()) return false;
      const reply = await redis.run('A single-use mark could not be stored', (client) =>
        client.set(`${prefix}used:${id}`, '1', {
          condition: 'NX',
          expiration: { type: 'PXAT', value: Math.ceil(expiresAt) },
        }),
      );
      return reply === 'OK';
    },
  };
}
