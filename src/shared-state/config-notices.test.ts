import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisUnavailableReason, startTestRedis } from '../../test/support/redis.ts';
import type { TestRedis } from '../../test/support/redis.ts';
import { createConfigNotices } from './config-notices.ts';
import { eventually, quietLogger } from './contract/shared-state-fixture.ts';
import { createSharedState, type SharedState } from './shared-state.ts';

const skip = redisUnavailableReason();

describe('configuration notices', () => {
  let redis: TestRedis | undefined;
  const states: SharedState[] = [];
  before(async () => {
    if (skip === undefined) redis = await startTestRedis();
  });
  after(async () => {
    await Promise.all(states.map((state) => state.close()));
    await redis?.close();
  });
  const state = (redisUrl?: string): SharedState => {
    const shared = createSharedState({ redisUrl, logger: quietLogger });
    states.push(shared);
    return shared;
  };

  it('on one instance, a change reloads once', async () => {
    let reloads = 0;
    const notices = await createConfigNotices(
      state().notices,
      async () => void reloads++,
      quietLogger,
    );
    await notices.changed();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(reloads, 1);
    await notices.close();
  });

  it(
    'a change on one instance reloads it at once and every other within a second',
    { skip },
    async () => {
      const counts = [0, 0, 0];
      const instances = await Promise.all(
        counts.map((_, i) =>
          createConfigNotices(
            state(redis!.url).notices,
            async () => void counts[i]!++,
            quietLogger,
          ),
        ),
      );
      await instances[0]!.changed();
      assert.equal(counts[0], 1, 'the changing instance reloaded before answering');
      assert.ok(await eventually(() => counts[1] === 1 && counts[2] === 1, 1_000));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(counts, [1, 1, 1], 'nobody reloads twice for one change');
      await Promise.all(instances.map((instance) => instance.close()));
    },
  );

  it('folds notices that arrive during a reload into one more reload', { skip }, async () => {
    let reloads = 0;
    let release: () => void = () => undefined;
    const slow = async (): Promise<void> => {
      reloads++;
      if (reloads === 1) await new Promise<void>((resolve) => (release = resolve));
    };
    const watcher = await createConfigNotices(state(redis!.url).notices, slow, quietLogger);
    const changer = await createConfigNotices(
      state(redis!.url).notices,
      async () => undefined,
      quietLogger,
    );
    for (let i = 0; i < 5; i++) await changer.changed();
    assert.ok(await eventually(() => reloads === 1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    assert.ok(await eventually(() => reloads === 2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(reloads, 2);
    await watcher.close();
    await changer.close();
  });
});
