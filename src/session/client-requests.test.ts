import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startTestRedis } from '../../test/support/redis.ts';
import type { TestRedis } from '../../test/support/redis.ts';
import type { JsonRpcResponse } from '../mcp/json-rpc.ts';
import { createRedisConnection } from '../shared-state/redis-connection.ts';
import type { RedisConnection } from '../shared-state/redis-connection.ts';
import { createMemoryInstanceRelay } from '../shared-state/relay/instance-relay.ts';
import type { InstanceRelay } from '../shared-state/relay/instance-relay.ts';
import { createRedisInstanceRelay } from '../shared-state/relay/redis-instance-relay.ts';
import { createPendingClientRequests } from './client-requests.ts';
import type { ClientRequestRoute } from './client-requests.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const answer = (id: string): JsonRpcResponse => ({
  jsonrpc: '2.0',
  id,
  result: { action: 'accept' },
});

function route(): ClientRequestRoute & { timeouts: number; delivered: JsonRpcResponse[] } {
  const seen = {
    timeouts: 0,
    delivered: [] as JsonRpcResponse[],
    timedOut() {
      seen.timeouts += 1;
    },
    deliver(response: JsonRpcResponse) {
      seen.delivered.push(response);
      return Promise.resolve();
    },
  };
  return seen;
}

/** What every relay gives one instance: today's single-instance behaviour. */
function oneInstance(name: string, relay: () => Promise<InstanceRelay>): void {
  describe(`pending client requests on one instance (${name})`, () => {
    it('settles a registered request once, here, and stops its clock', async () => {
      const pending = createPendingClientRequests({ timeoutMs: 50, relay: await relay() });
      const seen = route();
      pending.register('k', seen);
      assert.equal(await pending.settle('k', answer('1')), 'here');
      assert.equal(await pending.settle('k', answer('1')), 'unknown');
      await sleep(80);
      assert.equal(seen.timeouts, 0);
      assert.deepEqual(seen.delivered, [], 'the caller delivers what is settled here');
      assert.equal(pending.size(), 0);
    });

    it('times a request out once, after which its answer is unknown', async () => {
      const pending = createPendingClientRequests({ timeoutMs: 20, relay: await relay() });
      const seen = route();
      pending.register('late', seen);
      await sleep(80);
      assert.equal(seen.timeouts, 1);
      assert.equal(await pending.settle('late', answer('2')), 'unknown');
    });

    it('knows nothing of a key never registered', async () => {
      const pending = createPendingClientRequests({ timeoutMs: 20, relay: await relay() });
      assert.equal(await pending.settle('never', answer('3')), 'unknown');
    });
  });
}

oneInstance('memory', () => Promise.resolve(createMemoryInstanceRelay()));

describe('pending client requests across instances (redis)', () => {
  let redis: TestRedis;
  const connections: RedisConnection[] = [];
  const relay = (): Promise<InstanceRelay> => {
    const connection = createRedisConnection({ url: redis.url, logger: pino({ level: 'silent' }) });
    connections.push(connection);
    return createRedisInstanceRelay(connection, { keyPrefix: 'test:' });
  };
  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await redis?.close();
  });

  oneInstance('redis', relay);

  it('forwards an answer settled on another instance, once the registration is shared, to the owner, whose clock then stays silent', async () => {
    const a = createPendingClientRequests({ timeoutMs: 150, relay: await relay() });
    const b = createPendingClientRequests({ timeoutMs: 150, relay: await relay() });
    const seen = route();
    a.register('up:s1|7', seen);
    await a.shared();
    assert.equal(await b.settle('up:s1|7', answer('7')), 'forwarded');
    await sleep(250);
    assert.deepEqual(seen.delivered, [answer('7')]);
    assert.equal(seen.timeouts, 0, 'no error went upstream after the answer');
    assert.equal(a.size(), 0);
  });

  it('fails the request upstream after all when the forwarded answer never arrives', async () => {
    const ownerRelay = await relay();
    const winner = await relay();
    // Wide margins: on a loaded machine a Redis round trip can take tens of milliseconds.
    const a = createPendingClientRequests({
      timeoutMs: 300,
      handoverMs: 300,
      relay: ownerRelay,
    });
    const seen = route();
    const registered = performance.now();
    a.register('lost', seen);
    await a.shared();
    // Another instance won the key, and its message to the owner was lost.
    assert.equal(await winner.claim('lost'), ownerRelay.instanceId);
    assert.ok(performance.now() - registered < 300, 'claimed before the clock ran out');
    // The clock ran out at 300 ms and waits for the winner until 600 ms.
    await sleep(450 - (performance.now() - registered));
    assert.equal(seen.timeouts, 0, 'the clock waits for the winner first');
    await sleep(800 - (performance.now() - registered));
    assert.equal(seen.timeouts, 1);
    assert.deepEqual(seen.delivered, []);
  });

  it('lets exactly one of concurrent answers on two instances win', async () => {
    const a = createPendingClientRequests({ timeoutMs: 5_000, relay: await relay() });
    const b = createPendingClientRequests({ timeoutMs: 5_000, relay: await relay() });
    const seen = route();
    a.register('race', seen);
    await a.shared();
    const outcomes = await Promise.all([
      a.settle('race', answer('x')),
      b.settle('race', answer('x')),
      b.settle('race', answer('x')),
      a.settle('race', answer('x')),
    ]);
    assert.equal(outcomes.filter((outcome) => outcome !== 'unknown').length, 1);
    a.clear();
  });

  it('calls an answer orphaned when its owner is gone', async () => {
    const ownerRelay = await relay();
    const a = createPendingClientRequests({ timeoutMs: 5_000, relay: ownerRelay });
    const b = createPendingClientRequests({ timeoutMs: 5_000, relay: await relay() });
    a.register('orphan', route());
    await a.shared();
    a.clear();
    await ownerRelay.close();
    assert.equal(await b.settle('orphan', answer('o')), 'orphaned');
  });

  it('still times out, once, when Redis has gone away', async () => {
    const other = await startTestRedis();
    const connection = createRedisConnection({
      url: other.url,
      logger: pino({ level: 'silent' }),
      timeoutMs: 200,
    });
    connections.push(connection);
    const pending = createPendingClientRequests({
      timeoutMs: 50,
      relay: await createRedisInstanceRelay(connection, { keyPrefix: 'test:' }),
    });
    await other.kill();
    const seen = route();
    pending.register('offline', seen);
    await sleep(600);
    assert.equal(seen.timeouts, 1);
  });
});
