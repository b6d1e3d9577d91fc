import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startTestRedis } from '../../../test/support/redis.ts';
import type { TestRedis } from '../../../test/support/redis.ts';
import { createRedisConnection } from '../../shared-state/redis-connection.ts';
import type { RedisConnection } from '../../shared-state/redis-connection.ts';
import type { InstanceRelay } from '../../shared-state/relay/instance-relay.ts';
import { createRedisInstanceRelay } from '../../shared-state/relay/redis-instance-relay.ts';
import type { JsonRpcMessage } from '../json-rpc.ts';
import type { HeldCall, RoundOutcome } from './held-call.ts';
import { createHeldCalls } from './held-calls.ts';
import type { HeldCalls } from './held-calls.ts';

/** A held call whose upstream is a script: the rounds it plays, and what it was told. */
function scriptedCall(id: string, rounds: RoundOutcome[]) {
  const seen = {
    answers: [] as unknown[],
    cancelled: [] as string[],
    aborted: false,
  };
  const call: HeldCall & { round: number } = {
    id,
    serverInfo: { name: 'upstream', version: '1' },
    round: 1,
    async next(notify, signal) {
      notify?.({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } });
      const outcome = rounds.shift();
      if (outcome !== undefined) return outcome;
      // No more rounds scripted: wait for the client to go away.
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      seen.aborted = true;
      return { kind: 'gone' };
    },
    answer(inputResponses) {
      seen.answers.push(inputResponses);
      return Promise.resolve();
    },
    cancel(reason) {
      seen.cancelled.push(reason);
    },
  };
  return { call, seen };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('held calls continued on another instance (redis)', () => {
  let redis: TestRedis;
  const connections: RedisConnection[] = [];
  const relays: InstanceRelay[] = [];
  const instance = async (holdMs = 5_000): Promise<{ calls: HeldCalls; relay: InstanceRelay }> => {
    const connection = createRedisConnection({ url: redis.url, logger: pino({ level: 'silent' }) });
    connections.push(connection);
    const relay = await createRedisInstanceRelay(connection, { keyPrefix: 'test:' });
    relays.push(relay);
    return { calls: createHeldCalls({ holdMs, maxCalls: 10, relay }), relay };
  };
  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    await Promise.all(relays.map((relay) => relay.close()));
    await Promise.all(connections.map((connection) => connection.close()));
    await redis?.close();
  });

  it('plays a round on the owner: the answer goes upstream there, notifications and the outcome come back', async () => {
    const a = await instance();
    const b = await instance();
    const id = a.calls.newId();
    assert.ok(id.startsWith(`${a.relay.instanceId}.`), 'the id names its owner');
    const { call, seen } = scriptedCall(id, [
      { kind: 'final', answer: { jsonrpc: '2.0', id: 'u1', result: { content: [] } } },
    ]);
    a.calls.park(call);

    const held = b.calls.take(id, 1);
    assert.ok(held);
    assert.equal(held.round, 1);
    await held.answer({ 'elicitation-1': { action: 'accept' } });
    assert.deepEqual(seen.answers, [{ 'elicitation-1': { action: 'accept' } }]);
    assert.deepEqual(held.serverInfo, { name: 'upstream', version: '1' });
    const notes: JsonRpcMessage[] = [];
    const outcome = await held.next((message) => notes.push(message), new AbortController().signal);
    assert.equal(outcome.kind, 'final');
    assert.equal(notes.length, 1);
    assert.equal(a.calls.take(id), undefined, 'a finished call is no longer held');
  });

  it('parks a call that needs another round on its owner, under the new round, before the client hears of it', async () => {
    const a = await instance();
    const b = await instance();
    const id = a.calls.newId();
    const { call } = scriptedCall(id, [{ kind: 'input', inputRequests: { 'roots-2': {} } }]);
    a.calls.park(call);
    const held = b.calls.take(id, 1)!;
    await held.answer({});
    const outcome = await held.next(null, new AbortController().signal);
    assert.equal(outcome.kind, 'input');
    assert.equal(a.calls.size(), 1, 'parked on the owner before the client hears of the round');
    assert.equal(call.round, 2);
    held.round += 1;
    b.calls.park(held);
    await sleep(50);
    assert.equal(b.calls.size(), 0, 'nothing is parked on the retry instance');
    assert.equal(a.calls.size(), 1);
    assert.equal(a.calls.take(id), call);
  });

  it('refuses a retry of an earlier round without disturbing the call', async () => {
    const a = await instance();
    const b = await instance();
    const id = a.calls.newId();
    const { call, seen } = scriptedCall(id, []);
    call.round = 2;
    a.calls.park(call);
    const stale = b.calls.take(id, 1)!;
    await assert.rejects(stale.answer({}), {
      code: 'invalid_params',
      message: /earlier round/,
    });
    stale.cancel('The gateway could not deliver the client input.');
    await sleep(50);
    assert.deepEqual(seen.cancelled, []);
    assert.deepEqual(seen.answers, []);
    assert.equal(a.calls.size(), 1, 'still parked for the right round');
  });

  it('refuses a call its owner no longer holds, and one whose owner is gone', async () => {
    const a = await instance();
    const b = await instance();
    await assert.rejects(b.calls.take(`${a.relay.instanceId}.unknown`, 1)!.answer({}), {
      code: 'invalid_params',
      message: /no longer held/,
    });
    await assert.rejects(b.calls.take('departed-instance.x', 1)!.answer({}), {
      code: 'invalid_params',
      message: /is gone/,
    });
  });

  it('ends the owner’s round when the client on the retry instance goes away', async () => {
    const a = await instance();
    const b = await instance();
    const id = a.calls.newId();
    const { call, seen } = scriptedCall(id, []);
    a.calls.park(call);
    const held = b.calls.take(id, 1)!;
    await held.answer({});
    const client = new AbortController();
    const round = held.next(null, client.signal);
    await sleep(50);
    client.abort();
    assert.equal((await round).kind, 'gone');
    assert.equal(seen.aborted, true);
    held.cancel('The client closed the request.');
    await sleep(50);
    assert.deepEqual(seen.cancelled, ['The client closed the request.']);
  });

  it('cancels a lent call whose retry instance never finished the round', async () => {
    const a = await instance(100);
    const b = await instance(100);
    const id = a.calls.newId();
    const { call, seen } = scriptedCall(id, []);
    a.calls.park(call);
    await b.calls.take(id, 1)!.answer({});
    await sleep(200);
    assert.equal(seen.cancelled.length, 1);
  });
});

describe('held calls: a remote round whose other side falls silent (redis)', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    await redis?.close();
  });

  it('when the two instances lose each other mid-round, the owner cancels the call upstream and the retry instance fails the round', async () => {
    const connect = () =>
      createRedisConnection({ url: redis.url, logger: pino({ level: 'silent' }), timeoutMs: 200 });
    const ownerConnection = connect();
    const retryConnection = connect();
    const ownerRelay = await createRedisInstanceRelay(ownerConnection, { keyPrefix: 'test:' });
    const retryRelay = await createRedisInstanceRelay(retryConnection, { keyPrefix: 'test:' });
    const options = { holdMs: 5_000, maxCalls: 10, heartbeatMs: 40 };
    const a = createHeldCalls({ ...options, relay: ownerRelay });
    const b = createHeldCalls({ ...options, relay: retryRelay });
    const id = a.newId();
    const { call, seen } = scriptedCall(id, []);
    a.park(call);
    const held = b.take(id, 1)!;
    await held.answer({});
    const round = held.next(null, new AbortController().signal);
    await sleep(100);
    assert.deepEqual(seen.cancelled, [], 'heartbeats keep a long round alive');
    await retryConnection.close();
    await assert.rejects(round, { code: 'upstream_unavailable' });
    await sleep(200);
    assert.equal(seen.aborted, true);
    assert.deepEqual(seen.cancelled, ['The gateway instance continuing this call went away.']);
    await ownerRelay.close();
    await ownerConnection.close();
  });
});
