/**
 * The state instances share (DESIGN "Scale-out model"): in memory on one
 * instance, in Redis when PORTCULLIS_REDIS_URL is set. Every port with a
 * Redis implementation takes it from here, so an instance holds one command
 * connection and one subscriber connection, opened on first use.
 */
import type { Logger } from 'pino';
import { createMemoryLeases, createRedisLeases, type Leases } from './leases.ts';
import { createMemoryNoticeBus, createRedisNoticeBus, type NoticeBus } from './notice-bus.ts';
import { createRedisConnection, type RedisConnection } from './redis-connection.ts';
import { createMemoryUsedOnce, createRedisUsedOnce, type UsedOnce } from './used-once.ts';

export interface SharedState {
  readonly kind: 'memory' | 'redis';
  /** The Redis connections; undefined in memory. */
  readonly redis: RedisConnection | undefined;
  /** Prefix of every Redis key and channel this gateway uses. */
  readonly keyPrefix: string;
  readonly notices: NoticeBus;
  readonly leases: Leases;
  /** Ids spent by their first use (accepted confirmations). */
  readonly usedOnce: UsedOnce;
  close(): Promise<void>;
}

export interface SharedStateOptions {
  redisUrl?: string | undefined;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Keeps several gateways (or test runs) apart on one Redis. */
  keyPrefix?: string;
  /** Bound on one Redis command and on connecting, in milliseconds. */
  timeoutMs?: number;
}

export const DEFAULT_KEY_PREFIX = 'portcullis:';

export function createSharedState(options: SharedStateOptions): SharedState {
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (options.redisUrl === undefined) {
    return {
      kind: 'memory',
      redis: undefined,
      keyPrefix,
      notices: createMemoryNoticeBus(options.logger),
      leases: createMemoryLeases(),
      usedOnce: createMemoryUsedOnce(),
      close: async () => undefined,
    };
  }
  const redis = createRedisConnection({
    url: options.redisUrl,
    logger: options.logger,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return {
    kind: 'redis',
    redis,
    keyPrefix,
    notices: createRedisNoticeBus(redis, keyPrefix, options.logger),
    leases: createRedisLeases(redis, keyPrefix),
    usedOnce: createRedisUsedOnce(redis, keyPrefix),
    close: () => redis.close(),
  };
}
