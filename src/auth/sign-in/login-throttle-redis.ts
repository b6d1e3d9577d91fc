/**
 * The login throttle shared by every instance (Redis): an attacker spreading
 * guesses over the instances behind a load balancer meets the same account
 * and address limits as on one instance. Same windows as the memory
 * throttle: a window opens at the first failure and lasts `windowSeconds`.
 *
 * When Redis cannot be reached the instance falls back to its own memory
 * throttle (logged): sign-in keeps working and each instance still bounds
 * guesses, at most once per instance instead of once in all.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { RedisClient, RedisConnection } from '../../shared-state/redis-connection.ts';
import {
  createMemoryLoginThrottle,
  DEFAULT_LOGIN_THROTTLE_LIMITS,
  type LoginThrottle,
  type LoginThrottleLimits,
} from './login-throttle.ts';

/** KEYS account, address; ARGV window ms. Opens each window at its first failure. */
const RECORD_FAILURE = `
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
end
return 1`;

/** KEYS account, address. Returns {count, pttl} for each. */
const READ = `
local out = {}
for i = 1, 2 do
  out[#out + 1] = tonumber(redis.call('GET', KEYS[i]) or '0')
  out[#out + 1] = redis.call('PTTL', KEYS[i])
end
return out`;

const WARN_EVERY_MS = 60_000;

export function createRedisLoginThrottle(
  redis: RedisConnection,
  prefix: string,
  logger: Pick<Logger, 'warn'>,
  limits: LoginThrottleLimits = DEFAULT_LOGIN_THROTTLE_LIMITS,
): LoginThrottle {
  const fallback = createMemoryLoginThrottle(limits);
  const windowMs = limits.windowSeconds * 1000;
  // Accounts are e-mail addresses: Redis holds a digest, not the address.
  const accountKey = (account: string): string =>
    `${prefix}login:account:${crypto.hash('sha256', account.toLowerCase(), 'base64url')}`;
  const addressKey = (address: string): string => `${prefix}login:address:${address}`;
  let warnedAt = -Infinity;

  const shared = async <T>(
    what: string,
    command: (client: RedisClient) => Promise<T>,
    local: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await redis.run(what, command);
    } catch (error) {
      if (Date.now() - warnedAt >= WARN_EVERY_MS) {
        warnedAt = Date.now();
        logger.warn(
          { err: (error as Error).message },
          'login throttle falls back to this instance: the shared state is unreachable',
        );
      }
      return local();
    }
  };

  const waitFor = (count: number, pttl: number, limit: number): number =>
    count < limit ? 0 : Math.max(1, Math.ceil(Math.max(pttl, 0) / 1000));

  return {
    retryAfter: (account, address) =>
      shared(
        'The login throttle could not be read',
        async (client) => {
          const reply = (await client.eval(READ, {
            keys: [accountKey(account), addressKey(address)],
          })) as number[];
          const [accountCount = 0, accountTtl = 0, addressCount = 0, addressTtl = 0] = reply;
          return Math.max(
            waitFor(accountCount, accountTtl, limits.accountFailures),
            waitFor(addressCount, addressTtl, limits.addressFailures),
          );
        },
        () => fallback.retryAfter(account, address),
      ),
    recordFailure: (account, address) =>
      shared(
        'A sign-in failure could not be counted',
        async (client) => {
          await client.eval(RECORD_FAILURE, {
            keys: [accountKey(account), addressKey(address)],
            arguments: [String(windowMs)],
          });
        },
        () => fallback.recordFailure(account, address),
      ),
    recordSuccess: (account) =>
      shared(
        'Sign-in failures could not be cleared',
        async (client) => {
          await client.del(accountKey(account));
        },
        () => fallback.recordSuccess(account),
      ),
  };
}
