/**
 * The shared-state ports' contracts, in memory and on a real Redis (a
 * throwaway redis-server), where each pair of handles stands for two
 * gateway instances.
 */
import { after, before } from 'node:test';
import { redisUnavailableReason, startTestRedis } from '../../test/support/redis.ts';
import type { TestRedis } from '../../test/support/redis.ts';
import { createMemoryUsageCounters } from '../policy/usage-limits-counters.ts';
import { createMemoryRevocations } from '../session/legacy-session.ts';
import { leasesContract } from './contract/leases-contract.ts';
import { noticeBusContract } from './contract/notice-bus-contract.ts';
import { revocationsContract } from './contract/revocations-contract.ts';
import { quietLogger } from './contract/shared-state-fixture.ts';
import { usageCountersContract } from './contract/usage-counters-contract.ts';
import { usedOnceContract } from './contract/used-once-contract.ts';
import { createRedisUsageCounters } from './redis-usage-counters.ts';
import { createSharedRevocations } from './shared-revocations.ts';
import { createSharedState, type SharedState } from './shared-state.ts';

const skip = redisUnavailableReason();
let redis: TestRedis | undefined;
const opened: { close(): Promise<void> }[] = [];
let runs = 0;
let prefix = '';

before(async () => {
  if (skip === undefined) redis = await startTestRedis();
});
after(async () => {
  await Promise.all(opened.splice(0).map((handle) => handle.close()));
  await redis?.close();
});

const open = <T extends { close(): Promise<void> }>(handle: T): T => {
  opened.push(handle);
  return handle;
};

const memory = (): SharedState => open(createSharedState({ logger: quietLogger }));

/** A new key prefix per pair: every test starts from empty state. */
const redisPair = (): [SharedState, SharedState] => {
  prefix = `test${++runs}:`;
  const one = () =>
    open(createSharedState({ redisUrl: redis!.url, logger: quietLogger, keyPrefix: prefix }));
  return [one(), one()];
};

noticeBusContract({
  kind: 'memory',
  pair: async () => {
    const shared = memory();
    return [shared, shared];
  },
});
noticeBusContract({ kind: 'redis', skip, pair: async () => redisPair() });

leasesContract({
  kind: 'memory',
  pair: async () => {
    const shared = memory();
    return [shared, shared];
  },
});
leasesContract({ kind: 'redis', skip, pair: async () => redisPair() });

usedOnceContract({
  kind: 'memory',
  pair: async () => {
    const shared = memory();
    return [shared, shared];
  },
});
usedOnceContract({ kind: 'redis', skip, pair: async () => redisPair() });

usageCountersContract('memory', async (now) => {
  const counters = createMemoryUsageCounters(now);
  return [counters, counters];
});
usageCountersContract(
  'redis',
  async (now) => {
    const [a, b] = redisPair();
    return [
      createRedisUsageCounters(a.redis!, a.keyPrefix, now),
      createRedisUsageCounters(b.redis!, b.keyPrefix, now),
    ];
  },
  skip,
);

let memoryRevocations = createMemoryRevocations();
revocationsContract({
  kind: 'memory',
  pair: async () => {
    memoryRevocations = createMemoryRevocations();
    return [memoryRevocations, memoryRevocations];
  },
  join: async () => memoryRevocations,
});
revocationsContract({
  kind: 'redis',
  skip,
  pair: async () => {
    const [a, b] = redisPair();
    return [
      open(await createSharedRevocations(a, quietLogger)),
      open(await createSharedRevocations(b, quietLogger)),
    ];
  },
  join: async () =>
    open(
      await createSharedRevocations(
        open(createSharedState({ redisUrl: redis!.url, logger: quietLogger, keyPrefix: prefix })),
        quietLogger,
      ),
    ),
});
