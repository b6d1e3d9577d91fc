/**
 * The ports whose state instances share, built for the shared state's kind:
 * the memory adapters on one instance (today's behaviour), the Redis ones
 * when PORTCULLIS_REDIS_URL is set. The composition root takes them from here.
 */
import type { Logger } from 'pino';
import { createRegistrationLimits } from '../auth/server/registration-limits.ts';
import type { RegistrationLimits } from '../auth/server/registration-limits.ts';
import { createRedisRegistrationLimits } from '../auth/server/registration-limits-redis.ts';
import { createMemoryLoginThrottle, type LoginThrottle } from '../auth/sign-in/login-throttle.ts';
import { createRedisLoginThrottle } from '../auth/sign-in/login-throttle-redis.ts';
import { createPolicyNotices, createSharedPolicyNotices } from '../policy/policy-notices.ts';
import type { PolicyNotices } from '../policy/policy-notices.ts';
import { createMemoryUsageCounters, type UsageCounters } from '../policy/usage-limits-counters.ts';
import type { SessionRevocations } from '../session/legacy-session.ts';
import type { Leases } from './leases.ts';
import { createRedisUsageCounters } from './redis-usage-counters.ts';
import { createSharedRevocations } from './shared-revocations.ts';
import type { SharedState } from './shared-state.ts';

export interface SharedPorts {
  readonly usageCounters: UsageCounters;
  readonly loginThrottle: LoginThrottle;
  readonly registrationLimits: RegistrationLimits;
  readonly revocations: SessionRevocations;
  readonly policyNotices: PolicyNotices;
  /** Single-flight across instances (upstream token refresh); undefined on one instance. */
  readonly leases: Leases | undefined;
  close(): Promise<void>;
}

export async function createSharedPorts(
  shared: SharedState,
  logger: Pick<Logger, 'warn'>,
): Promise<SharedPorts> {
  const redis = shared.redis;
  const revocations = await createSharedRevocations(shared, logger);
  if (redis === undefined) {
    return {
      usageCounters: createMemoryUsageCounters(),
      loginThrottle: createMemoryLoginThrottle(),
      registrationLimits: createRegistrationLimits(),
      revocations,
      policyNotices: createPolicyNotices(),
      leases: undefined,
      close: () => revocations.close(),
    };
  }
  const policyNotices = await createSharedPolicyNotices(shared.notices, logger);
  return {
    usageCounters: createRedisUsageCounters(redis, shared.keyPrefix),
    loginThrottle: createRedisLoginThrottle(redis, shared.keyPrefix, logger),
    registrationLimits: createRedisRegistrationLimits(redis, shared.keyPrefix, logger),
    revocations,
    policyNotices,
    leases: shared.leases,
    async close() {
      await policyNotices.close();
      await revocations.close();
    },
  };
}
