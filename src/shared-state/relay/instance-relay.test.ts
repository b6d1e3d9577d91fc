import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startTestRedis } from '../../../test/support/redis.ts';
import type { TestRedis } from '../../../test/support/redis.ts';
import { createRedisConnection } from '../redis-connection.ts';
import type { RedisConnection } from '../redis-connection.ts';
import { createMemoryInstanceRelay } from './instance-relay.ts';
import type { InstanceRelay } from './instance-relay.ts';
import { createRedisInstanceRelay } from './redis-instance-relay.ts';

const keyPrefix = 'test:';

const received = (relay: InstanceRelay, topic: string): Promise<unknown> =>
  new Promise((resolve) => {
    const off = relay.on(topic, (payload) => {
      off();
      resolve(payload);
    });
  });

/** What every adapter does on one instance. */
function singleInstanceContract(name: string, make: () => Promise<InstanceRelay>): void {
  describe(`instance relay (${name})`, () => {
    it('gives a key it owns to exactly one claim', async () => {
      const relay = await make();
      await relay.own('k1', 60_000);
      assert.equal(await relay.claim('k1'), relay.instanceId);
      assert.equal(await relay.claim('k1'), undefined);
      await relay.close();
    });

    it('claims nothing for an unknown key or one whose time ran out', async () => {
      const relay = await make();
      assert.equal(await relay.claim('never-owned'), undefined);
      await relay.own('short', 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(await relay.claim('short'), undefined);
      await relay.close();
    });

    it('delivers a message sent to itself to the topic handler, and reports an unknown instance as gone', async () => {
      const relay = await make();
      const got = received(relay, 'greeting');
      assert.equal(await relay.send(relay.instanceId, 'greeting', { hello: 1 }), true);
      assert.deepEqual(await got, { hello: 1 });
      assert.equal(await relay.send('no-such-instance', 'greeting', {}), false);
      await relay.close();
    });
  });
}

singleInstanceContract('memory', () => Promise.resolve(createMemoryInstanceRelay()));

describe('instance relay (memory)', () => {
  it('forgets keys nobody claimed once their time has run out', async () => {
    const relay = createMemoryInstanceRelay();
    for (let index = 0; index < 2_000; index++) await relay.own(`old-${index}`, 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (let index = 0; index < 2_000; index++) await relay.own(`new-${index}`, 60_000);
    assert.equal(await relay.claim('new-1999'), relay.instanceId);
    assert.equal(await relay.claim('old-0'), undefined);
    assert.ok(relay.size() < 3_000, `kept ${relay.size()} keys`);
  });
});

describe('instance relay (redis)', () => {
  let redis: TestRedis;
  const connections: RedisConnection[] = [];
  const connect = (): RedisConnection => {
    const connection = createRedisConnection({
      url: redis.url,
      logger: pino({ level: 'silent' }),
    });
    connections.push(connection);
    return connection;
  };
  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await redis?.close();
  });

  singleInstanceContract('redis', () => createRedisInstanceRelay(connect(), { keyPrefix }));

  it('lets another instance claim a key once and reach its owner', async () => {
    const a = await createRedisInstanceRelay(connect(), { keyPrefix });
    const b = await createRedisInstanceRelay(connect(), { keyPrefix });
    assert.notEqual(a.instanceId, b.instanceId);
    await a.own('answer:7', 60_000);
    assert.equal(await b.claim('answer:7'), a.instanceId);
    assert.equal(await a.claim('answer:7'), undefined, 'the owner lost the race it came late to');
    const got = received(a, 'answer');
    assert.equal(await b.send(a.instanceId, 'answer', { id: 7 }), true);
    assert.deepEqual(await got, { id: 7 });
  });

  it('lets exactly one of many concurrent claims from two instances win', async () => {
    const a = await createRedisInstanceRelay(connect(), { keyPrefix });
    const b = await createRedisInstanceRelay(connect(), { keyPrefix });
    await a.own('contested', 60_000);
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 ? a : b).claim('contested')),
    );
    assert.deepEqual(
      claims.filter((owner) => owner !== undefined),
      [a.instanceId],
    );
  });

  it('reports an instance that stopped listening as gone', async () => {
    const a = await createRedisInstanceRelay(connect(), { keyPrefix });
    const b = await createRedisInstanceRelay(connect(), { keyPrefix });
    await a.close();
    assert.equal(await b.send(a.instanceId, 'answer', {}), false);
  });

  it('fails clearly, without hanging, when Redis is unreachable', async () => {
    const other = await startTestRedis();
    const connection = createRedisConnection({
      url: other.url,
      logger: pino({ level: 'silent' }),
      timeoutMs: 300,
    });
    connections.push(connection);
    const relay = await createRedisInstanceRelay(connection, { keyPrefix });
    await other.kill();
    const started = performance.now();
    await assert.rejects(relay.claim('x'), { code: 'shared_state_unavailable' });
    assert.ok(performance.now() - started < 2_000);
  });
});
