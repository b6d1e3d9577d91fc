import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startTestRedis } from '../../../test/support/redis.ts';
import type { TestRedis } from '../../../test/support/redis.ts';
import { createClientAnswers } from '../../mcp/bridge/client-answers.ts';
import { createRedisConnection } from '../redis-connection.ts';
import type { RedisConnection } from '../redis-connection.ts';
import { createRedisInstanceRelay } from './redis-instance-relay.ts';
import { createRelayedClientAnswers } from './relayed-client-answers.ts';

describe('a legacy client’s answers to bridged requests, across instances (redis)', () => {
  let redis: TestRedis;
  const connections: RedisConnection[] = [];
  const instance = async (timeoutMs = 5_000) => {
    const connection = createRedisConnection({ url: redis.url, logger: pino({ level: 'silent' }) });
    connections.push(connection);
    const relay = await createRedisInstanceRelay(connection, { keyPrefix: 'test:' });
    return createRelayedClientAnswers(createClientAnswers(timeoutMs), relay, { timeoutMs });
  };
  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await redis?.close();
  });

  it('hands an answer posted to another instance to the one waiting for it', async () => {
    const a = await instance();
    const b = await instance();
    const waiting = a.wait('pc-s2c.s:t1.x', 'elicitation/create', new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const response = { jsonrpc: '2.0' as const, id: 'pc-s2c.s:t1.x', result: { action: 'accept' } };
    assert.equal(b.settle(response), false, 'nothing waits on the instance it landed on');
    assert.deepEqual(await waiting, response);
    assert.equal(a.size(), 0);
  });

  it('settles an answer on the waiting instance itself, once', async () => {
    const a = await instance();
    const b = await instance();
    const waiting = a.wait('pc-s2c.s:t2.y', 'roots/list', new AbortController().signal);
    const response = { jsonrpc: '2.0' as const, id: 'pc-s2c.s:t2.y', result: { roots: [] } };
    assert.equal(a.settle(response), true);
    assert.deepEqual(await waiting, response);
    assert.equal(b.settle(response), false);
    assert.equal(a.settle(response), false);
  });

  it('still times the wait out when no answer comes', async () => {
    const a = await instance(50);
    await assert.rejects(
      a.wait('pc-s2c.s:t3.z', 'sampling/createMessage', new AbortController().signal),
      { code: 'client_request_timeout' },
    );
  });
});
