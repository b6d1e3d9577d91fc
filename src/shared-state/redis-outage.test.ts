/**
 * What every shared-state user sees when Redis goes away: a clear
 * `shared_state_unavailable` within the command timeout, never a hang, or
 * the documented fallback; and recovery when Redis comes back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisUnavailableReason, startTestRedis } from '../../test/support/redis.ts';
import type { TestRedis } from '../../test/support/redis.ts';
import { createRedisLoginThrottle } from '../auth/sign-in/login-throttle-redis.ts';
import { createRedisRegistrationLimits } from '../auth/server/registration-limits-redis.ts';
import { createSharedPolicyNotices, type ListKind } from '../policy/policy-notices.ts';
import { isGatewayError } from '../shared/errors.ts';
import { createConfigNotices } from './config-notices.ts';
import { createRedisUsageCounters } from './redis-usage-counters.ts';
import { createSharedRevocations } from './shared-revocations.ts';
import { createSharedState, type SharedState } from './shared-state.ts';

const skip = redisUnavailableReason();
const quiet = { warn: () => undefined, info: () => undefined };
const unavailable = (error: unknown): boolean =>
  isGatewayError(error) && error.code === 'shared_state_unavailable' && error.retryable;

/** How long `run` took to settle, and what it gave or threw. */
async function timed(run: () => Promise<unknown>): Promise<{ ms: number; result: unknown }> {
  const start = Date.now();
  let result: unknown;
  try {
    result = await run();
  } catch (error) {
    result = error;
  }
  return { ms: Date.now() - start, result };
}

describe('Redis that cannot be reached at all', { skip }, () => {
  it('refuses to connect quickly with a clear error naming the redacted URL', async () => {
    const dead = await startTestRedis();
    await dead.kill();
    const url = `redis://user:s3cret@127.0.0.1:${dead.port}`;
    const shared = createSharedState({ redisUrl: url, logger: quiet });
    const { ms, result } = await timed(() => shared.redis!.client());
    assert.ok(unavailable(result), String(result));
    assert.match((result as Error).message, /127\.0\.0\.1/);
    assert.doesNotMatch((result as Error).message, /s3cret/);
    assert.ok(ms < 2_500, `answered in ${ms} ms`);
    await assert.rejects(shared.leases.acquire('k', 1000), unavailable);
    await assert.rejects(shared.notices.publish('c', 'x'), unavailable);
    await shared.close();
  });
});

describe('Redis that stops answering (frozen)', { skip }, () => {
  it('fails calls and shutdown within the command timeout instead of waiting', async () => {
    const redis = await startTestRedis();
    const shared = createSharedState({ redisUrl: redis.url, logger: quiet, timeoutMs: 300 });
    try {
      assert.ok(await shared.leases.acquire('before', 1_000));
      redis.pause();
      for (const run of [
        () => shared.leases.acquire('frozen', 1_000),
        () => shared.notices.publish('c', 'x'),
        () => createRedisUsageCounters(shared.redis!, shared.keyPrefix).consume('k', 1000, 1),
      ]) {
        const { ms, result } = await timed(run);
        assert.ok(unavailable(result), String(result));
        assert.ok(ms >= 250 && ms < 1_000, `answered in ${ms} ms`);
      }
      const late = createSharedState({ redisUrl: redis.url, logger: quiet, timeoutMs: 300 });
      const { ms, result } = await timed(() => late.leases.acquire('k', 1_000));
      assert.ok(unavailable(result) && ms < 1_000, `a new connection gave up after ${ms} ms`);
      await late.close();
      const closed = await timed(() => shared.close());
      assert.ok(closed.ms < 1_000, `shutdown is not held: closed after ${closed.ms} ms`);
      redis.resume();
      const again = createSharedState({ redisUrl: redis.url, logger: quiet });
      assert.ok(await again.leases.acquire('after', 1_000), 'Redis answers again');
      await again.close();
    } finally {
      redis.resume();
      await shared.close();
      await redis.close();
    }
  });
});

describe('Redis that goes away and comes back', { skip }, () => {
  let redis: TestRedis;
  let shared: SharedState;
  before(async () => {
    redis = await startTestRedis();
    shared = createSharedState({ redisUrl: redis.url, logger: quiet, timeoutMs: 1_000 });
  });
  after(async () => {
    await shared.close();
    await redis.close();
  });

  it('fails each port clearly or falls back while down, and recovers after', async () => {
    const counters = createRedisUsageCounters(shared.redis!, shared.keyPrefix);
    const throttle = createRedisLoginThrottle(shared.redis!, shared.keyPrefix, quiet, {
      accountFailures: 2,
      addressFailures: 100,
      windowSeconds: 60,
    });
    const registrations = createRedisRegistrationLimits(shared.redis!, shared.keyPrefix, quiet, {
      perClientPerWindow: 1,
    });
    const revocations = await createSharedRevocations(shared, quiet);
    const policy = await createSharedPolicyNotices(shared.notices, quiet);
    let reloads = 0;
    const config = await createConfigNotices(shared.notices, async () => void reloads++, quiet);
    const heard: (readonly ListKind[])[] = [];
    policy.watch('acme/github', (kinds) => heard.push(kinds));
    const probes: string[] = [];
    await shared.notices.subscribe('probe', (payload) => probes.push(payload));
    assert.equal((await counters.consume('k', 60_000, 5)).allowed, true);

    await redis.kill();
    const counted = await timed(() => counters.consume('k', 60_000, 5));
    assert.ok(unavailable(counted.result), 'usage limits fail closed');
    assert.ok(counted.ms < 1_500, `answered in ${counted.ms} ms`);
    await assert.rejects(shared.leases.acquire('lease', 1_000), unavailable);
    await assert.rejects(shared.notices.publish('c', 'x'), unavailable);

    // The throttle and registration limits go on in memory on this instance.
    await throttle.recordFailure('ann@example.com', '192.0.2.1');
    await throttle.recordFailure('ann@example.com', '192.0.2.1');
    assert.ok((await throttle.retryAfter('ann@example.com', '192.0.2.1')) > 0);
    assert.deepEqual(await registrations.take('192.0.2.1', 'Claude'), { allowed: true });
    assert.equal((await registrations.take('192.0.2.1', 'Claude')).allowed, false);
    // A revocation holds here; policy and configuration changes apply here.
    await revocations.revoke('tag', Date.now() / 1000 + 60);
    assert.equal(revocations.isRevoked('tag'), true);
    policy.notify('acme/github', ['tools']);
    await config.changed();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(heard, [['tools']], 'the local clients still hear of the change');
    assert.equal(reloads, 1);

    const back = await startTestRedis({ port: redis.port });
    redis = back;
    let recovered = false;
    for (let i = 0; i < 100 && !recovered; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      recovered = await counters.consume('k', 60_000, 5).then(
        () => true,
        () => false,
      );
    }
    assert.ok(recovered, 'commands work again once Redis is back');
    assert.ok(await shared.leases.acquire('lease', 1_000));
    // The subscription made before the outage is restored: notices go round again.
    for (let i = 0; i < 40 && probes.length === 0; i++) {
      await shared.notices.publish('probe', 'again').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(probes[0], 'again', 'notices flow again through Redis');
    await config.close();
    await policy.close();
    await revocations.close();
  });
});
