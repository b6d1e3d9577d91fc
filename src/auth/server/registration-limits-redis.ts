/**
 * Dynamic client registration limits shared by every instance (Redis): the
 * per-(address, client_name) and global caps hold across the instances
 * behind a load balancer, and an identical public registration is answered
 * with the client registered moments ago on any instance. Same windows as
 * the memory limits: a window opens at its first registration.
 *
 * When Redis cannot be reached the instance falls back to its own memory
 * limits (logged), so registration keeps working with per-instance bounds.
 */
import type { Logger } from 'pino';
import type { RedisConnection } from '../../shared-state/redis-connection.ts';
import {
  createRegistrationLimits,
  registrationDedupeKey,
  type RateDecision,
  type RegistrationLimits,
  type RegistrationLimitsOptions,
} from './registration-limits.ts';

/**
 * KEYS client window, global window; ARGV per-client cap, global cap, window ms.
 * Checks both caps before counting, so a refused attempt uses up nothing.
 * Returns {1} or {0, pttl of the full window}.
 */
const TAKE = `
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
    return {0, redis.call('PTTL', KEYS[i])}
  end
end
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
end
return {1}`;

const WARN_EVERY_MS = 60_000;

export function createRedisRegistrationLimits(
  redis: RedisConnection,
  prefix: string,
  logger: Pick<Logger, 'warn'>,
  options: Omit<RegistrationLimitsOptions, 'now'> = {},
): RegistrationLimits {
  const perClient = options.perClientPerWindow ?? 10;
  const globalCap = options.globalPerWindow ?? 120;
  const windowMs = options.windowMs ?? 60_000;
  const dedupeMs = options.dedupeMs ?? 10 * 60_000;
  const fallback = createRegistrationLimits(options);
  const dedupeName = (key: string): string => `${prefix}registration:dedupe:${key}`;
  let warnedAt = -Infinity;

  const warn = (error: unknown): void => {
    if (Date.now() - warnedAt < WARN_EVERY_MS) return;
    warnedAt = Date.now();
    logger.warn(
      { err: (error as Error).message },
      'registration limits fall back to this instance: the shared state is unreachable',
    );
  };

  return {
    dedupeKey: registrationDedupeKey,
    async findDuplicate(key) {
      try {
        const found = await redis.run('A registration could not be looked up', (client) =>
          client.get(dedupeName(key)),
        );
        return found ?? undefined;
      } catch (error) {
        warn(error);
        return fallback.findDuplicate(key);
      }
    },
    remember(key, clientId) {
      fallback.remember(key, clientId);
      redis
        .run('A registration could not be remembered', (client) =>
          client.set(dedupeName(key), clientId, { expiration: { type: 'PX', value: dedupeMs } }),
        )
        .catch(warn);
    },
    async take(clientAddress, clientName): Promise<RateDecision> {
      try {
        const reply = (await redis.run('A registration could not be counted', (client) =>
          client.eval(TAKE, {
            keys: [
              `${prefix}registration:client:${clientAddress}\u0000${clientName}`,
              `${prefix}registration:global`,
            ],
            arguments: [String(perClient), String(globalCap), String(windowMs)],
          }),
        )) as number[];
        if (reply[0] === 1) return { allowed: true };
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((reply[1] ?? 0) / 1000)),
        };
      } catch (error) {
        warn(error);
        return fallback.take(clientAddress, clientName);
      }
    },
  };
}
