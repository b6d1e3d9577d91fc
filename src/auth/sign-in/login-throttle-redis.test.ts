/**
 * The login throttle's contract on memory (one instance) and on Redis (two
 * instances sharing it): the limits hold across instances.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisUnavailableReason, startTestRedis } from '../../../test/support/redis.ts';
import type { TestRedis } from '../../../test/support/redis.ts';
import { createSharedState, type SharedState } from '../../shared-state/shared-state.ts';
import { createMemoryLoginThrottle, type LoginThrottle } from './login-throttle.ts';
import { createRedisLoginThrottle } from './login-throttle-redis.ts';

const limits = { accountFailures: 3, addressFailures: 5, windowSeconds: 60 };
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

const kinds: Record<string, () => [LoginThrottle, LoginThrottle]> = {
  memory: () => {
    const throttle = createMemoryLoginThrottle(limits);
    return [throttle, throttle];
  },
  redis: () => {
    const keyPrefix = `throttle${++runs}:`;
    const one = (): LoginThrottle => {
      const state = createSharedState({ redisUrl: redis!.url, logger: quiet, keyPrefix });
      states.push(state);
      return createRedisLoginThrottle(state.redis!, keyPrefix, quiet, limits);
    };
    return [one(), one()];
  },
};

for (const [kind, pair] of Object.entries(kinds)) {
  describe(
    `login throttle (${kind}, two instances)`,
    { skip: kind === 'redis' ? skip : undefined },
    () => {
      it('locks an account after its failure limit, counted on both instances', async () => {
        const [a, b] = pair();
        for (let i = 0; i < 3; i += 1) {
          const here = i % 2 === 0 ? a : b;
          assert.equal(await here.retryAfter('a@x.test', `10.0.0.${i}`), 0);
          await here.recordFailure('a@x.test', `10.0.0.${i}`);
        }
        for (const instance of [a, b]) {
          const wait = await instance.retryAfter('a@x.test', '10.9.9.9');
          assert.ok(wait > 0 && wait <= 60, `retry after ${wait}`);
          assert.equal(await instance.retryAfter('b@x.test', '10.9.9.9'), 0);
        }
      });

      it('treats account names case-insensitively', async () => {
        const [a, b] = pair();
        for (let i = 0; i < 3; i += 1) await a.recordFailure('A@X.test', '1.1.1.1');
        assert.ok((await b.retryAfter('a@x.TEST', '2.2.2.2')) > 0);
      });

      it('locks an address guessing many accounts', async () => {
        const [a, b] = pair();
        for (let i = 0; i < 5; i += 1)
          await (i % 2 === 0 ? a : b).recordFailure(`u${i}@x.test`, '192.0.2.1');
        assert.ok((await b.retryAfter('fresh@x.test', '192.0.2.1')) > 0);
        assert.equal(await a.retryAfter('fresh@x.test', '192.0.2.2'), 0);
      });

      it("a success on one instance clears the account's failures, not the address's", async () => {
        const [a, b] = pair();
        for (let i = 0; i < 3; i += 1) await a.recordFailure('c@x.test', '198.51.100.1');
        await b.recordSuccess('C@x.test');
        assert.equal(await a.retryAfter('c@x.test', '198.51.100.2'), 0);
        for (let i = 0; i < 2; i += 1) await a.recordFailure('d@x.test', '198.51.100.1');
        assert.ok((await a.retryAfter('e@x.test', '198.51.100.1')) > 0, 'address still counted');
      });

      it('counts exactly under concurrent failures on both instances', async () => {
        const [a, b] = pair();
        await Promise.all(
          Array.from({ length: 2 }, (_, i) =>
            (i % 2 === 0 ? a : b).recordFailure('f@x.test', '203.0.113.9'),
          ),
        );
        assert.equal(await a.retryAfter('f@x.test', '203.0.113.8'), 0, 'two of three');
        await b.recordFailure('f@x.test', '203.0.113.9');
        assert.ok((await a.retryAfter('f@x.test', '203.0.113.8')) > 0);
      });
    },
  );
}
