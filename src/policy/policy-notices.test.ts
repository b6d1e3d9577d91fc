import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisUnavailableReason, startTestRedis } from '../../test/support/redis.ts';
import type { TestRedis } from '../../test/support/redis.ts';
import { createSharedState, type SharedState } from '../shared-state/shared-state.ts';
import { createPolicyNotices, createSharedPolicyNotices, type ListKind } from './policy-notices.ts';

const quiet = { warn: () => undefined, info: () => undefined };
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('policy notices on one instance', () => {
  it('tells the streams watching a server, and stops when they stop watching', () => {
    const notices = createPolicyNotices();
    const heard: (readonly ListKind[])[] = [];
    const stop = notices.watch('acme/github', (kinds) => heard.push(kinds));
    notices.watch('acme/other', () => assert.fail('another server'));
    notices.notify('acme/github', ['tools']);
    assert.deepEqual(heard, [['tools']]);
    assert.equal(notices.watching('acme/github'), 1);
    stop();
    notices.notify('acme/github', ['prompts']);
    assert.deepEqual(heard, [['tools']]);
    assert.deepEqual(notices.watched(), ['acme/other']);
  });
});

describe('policy notices across instances (redis)', { skip: redisUnavailableReason() }, () => {
  let redis: TestRedis;
  const states: SharedState[] = [];
  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    await Promise.all(states.map((state) => state.close()));
    await redis.close();
  });
  const instance = async () => {
    const state = createSharedState({ redisUrl: redis.url, logger: quiet });
    states.push(state);
    return createSharedPolicyNotices(state.notices, quiet);
  };

  it("a change on one instance reaches the other's clients, after it drops its caches", async () => {
    const a = await instance();
    const b = await instance();
    const events: string[] = [];
    a.onRemoteChange((key) => events.push(`a dropped ${key}`));
    b.onRemoteChange((key) => events.push(`b dropped ${key}`));
    a.watch('acme/github', (kinds) => events.push(`a told ${kinds.join(',')}`));
    b.watch('acme/github', (kinds) => events.push(`b told ${kinds.join(',')}`));
    b.watch('acme/other', () => events.push('wrong server'));
    a.notify('acme/github', ['tools', 'prompts']);
    await settle();
    assert.deepEqual(events.toSorted(), [
      'a told tools,prompts',
      'b dropped acme/github',
      'b told tools,prompts',
    ]);
    assert.ok(events.indexOf('b dropped acme/github') < events.indexOf('b told tools,prompts'));
    await a.close();
    await b.close();
  });

  it('ignores malformed notices on the channel', async () => {
    const state = createSharedState({ redisUrl: redis.url, logger: quiet });
    states.push(state);
    const b = await instance();
    const heard: (readonly ListKind[])[] = [];
    b.watch('acme/github', (kinds) => heard.push(kinds));
    for (const payload of ['not json', '{}', '{"from":"x","key":"acme/github"}', 'null'])
      await state.notices.publish('policy-changed', payload);
    await state.notices.publish(
      'policy-changed',
      JSON.stringify({ from: 'x', key: 'acme/github', kinds: ['tools', 'bogus'] }),
    );
    await settle();
    assert.deepEqual(heard, [['tools']]);
    await b.close();
  });
});
