/**
 * Registration limits shared by two instances on Redis: the caps and the
 * de-duplication hold across instances.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisUnavailableReason, startTestRedis } from '../../../test/support/redis.ts';
import type { TestRedis } from '../../../test/support/redis.ts';
import { createSharedState, type SharedState } from '../../shared-state/shared-state.ts';
import type { RegistrationLimits, RegistrationLimitsOptions } from './registration-limits.ts';
import { createRedisRegistrationLimits } from './registration-limits-redis.ts';

const quiet = { warn: () => undefined, info: () => undefined };
const skip = redisUnavailableReason();
let redis: TestRedis | undefined;
const states: SharedState[] = [];
let runs = 0;
before(async () => {
  if (skip === undefined) redis = await startTestRedis();
});
after(async () => {
  await Promise.all(states.map((state) => state.close()));
  await redis?.close();
});

function pair(
  options: Omit<RegistrationLimitsOptions, 'now'>,
): [RegistrationLimits, RegistrationLimits] {
  const keyPrefix = `registration${++runs}:`;
  const one = (): RegistrationLimits => {
    const state = createSharedState({ redisUrl: redis!.url, logger: quiet, keyPrefix });
    states.push(state);
    return createRedisRegistrationLimits(state.redis!, keyPrefix, quiet, options);
  };
  return [one(), one()];
}

const publicClient = {
  client_name: 'Claude',
  redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
  token_endpoint_auth_method: 'none',
};

describe('registration limits (redis, two instances)', { skip }, () => {
  it('limits a (client address, client_name) across instances, not per instance', async () => {
    const [a, b] = pair({ perClientPerWindow: 3 });
    const decisions = await Promise.all(
      Array.from({ length: 9 }, async (_, i) => (i % 2 === 0 ? a : b).take('192.0.2.1', 'Claude')),
    );
    assert.equal(decisions.filter((decision) => decision.allowed).length, 3);
    const refused = decisions.find((decision) => !decision.allowed);
    assert.ok(refused !== undefined && !refused.allowed);
    assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 60);
    assert.equal((await a.take('192.0.2.1', 'Cursor')).allowed, true, 'other names unaffected');
  });

  it('applies the global cap across instances, and a refusal uses up nothing', async () => {
    const [a, b] = pair({ perClientPerWindow: 1, globalPerWindow: 2 });
    assert.equal((await a.take('192.0.2.1', 'one')).allowed, true);
    assert.equal((await a.take('192.0.2.1', 'one')).allowed, false, 'per-client cap');
    assert.equal((await b.take('192.0.2.2', 'two')).allowed, true);
    assert.equal((await b.take('192.0.2.3', 'three')).allowed, false, 'global cap');
    assert.equal((await a.take('192.0.2.4', 'four')).allowed, false);
  });

  it('answers an identical public registration with the client registered on the other instance', async () => {
    const [a, b] = pair({});
    const key = a.dedupeKey(publicClient);
    assert.ok(key);
    assert.equal(b.dedupeKey(publicClient), key, 'same key on every instance');
    assert.equal(await b.findDuplicate(key), undefined);
    a.remember(key, 'client-1');
    let found: string | undefined;
    for (let i = 0; i < 50 && found === undefined; i++) {
      found = await b.findDuplicate(key);
      if (found === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(found, 'client-1');
  });

  it('never de-duplicates a confidential client', () => {
    const [a] = pair({});
    assert.equal(
      a.dedupeKey({ ...publicClient, token_endpoint_auth_method: 'client_secret_post' }),
      undefined,
    );
  });

  it('forgets a duplicate after the de-duplication window', async () => {
    const [a, b] = pair({ dedupeMs: 50 });
    const key = a.dedupeKey(publicClient)!;
    a.remember(key, 'client-2');
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(await b.findDuplicate(key), undefined);
  });
});
