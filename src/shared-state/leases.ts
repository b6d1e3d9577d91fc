/**
 * Short exclusive leases: one holder at a time per key, released by its
 * holder or by expiry (a holder that dies frees the key after `ttlMs`).
 * Used for single-flight work across instances, such as refreshing an
 * upstream token once instead of once per instance.
 */
import crypto from 'node:crypto';
import type { RedisConnection } from './redis-connection.ts';

/** Gives the lease back; a no-op once it expired or was taken by someone else. */
export type ReleaseLease = () => Promise<void>;

export interface Leases {
  /** The lease on `key` for `ttlMs`, or undefined when another holder has it. */
  acquire(key: string, ttlMs: number): Promise<ReleaseLease | undefined>;
}

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0)
    throw new RangeError('ttlMs must be a positive integer');
}

export function createMemoryLeases(now: () => number = Date.now): Leases {
  const held = new Map<string, { token: symbol; expiresAt: number }>();
  return {
    async acquire(key, ttlMs) {
      checkTtl(ttlMs);
      const at = now();
      const current = held.get(key);
      if (current !== undefined && current.expiresAt > at) return undefined;
      const token = Symbol(key);
      held.set(key, { token, expiresAt: at + ttlMs });
      return async () => {
        if (held.get(key)?.token === token) held.delete(key);
      };
    },
  };
}

/**
 * Releases only the holder's own lease: a holder whose lease expired must
 * not delete the next holder's (the Redis "SET NX PX" lock pattern).
 */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export function createRedisLeases(redis: RedisConnection, prefix: string): Leases {
  return {
    async acquire(key, ttlMs) {
      checkTtl(ttlMs);
      const name = `${prefix}lease:${key}`;
      const token = crypto.randomBytes(16).toString('base64url');
      const reply = await redis.run('A lease could not be taken', (client) =>
        client.set(name, token, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
      );
      if (reply !== 'OK') return undefined;
      return async () => {
        await redis
          .run('A lease could not be released', (client) =>
            client.eval(RELEASE, { keys: [name], arguments: [token] }),
          )
          // Unreleased, the lease still ends at its expiry.
          .catch(() => undefined);
      };
    },
  };
}
