import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeldCall } from './held-call.ts';
import { createHeldCalls } from './held-calls.ts';

function heldCall(id: string): HeldCall & { cancelled: string[] } {
  const cancelled: string[] = [];
  return {
    id,
    serverInfo: undefined,
    round: 1,
    cancelled,
    next: () => Promise.resolve({ kind: 'gone' }),
    answer: () => Promise.resolve(),
    cancel: (reason) => void cancelled.push(reason),
  };
}

describe('held calls', () => {
  it('hands a parked call out once', () => {
    const calls = createHeldCalls({ holdMs: 60_000, maxCalls: 10 });
    const call = heldCall('a');
    calls.park(call);
    assert.equal(calls.take('a'), call);
    assert.equal(calls.take('a'), undefined);
    assert.equal(calls.take('unknown'), undefined);
    assert.deepEqual(call.cancelled, []);
  });

  it('cancels a call nobody retried in time', async () => {
    const calls = createHeldCalls({ holdMs: 20, maxCalls: 10 });
    const call = heldCall('b');
    calls.park(call);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(calls.take('b'), undefined);
    assert.equal(call.cancelled.length, 1);
  });

  it('refuses to hold more than its limit, and cancels everything at shutdown', () => {
    const calls = createHeldCalls({ holdMs: 60_000, maxCalls: 1 });
    const first = heldCall('c');
    const second = heldCall('d');
    calls.park(first);
    calls.park(second);
    assert.equal(second.cancelled.length, 1);
    calls.clear();
    assert.equal(first.cancelled.length, 1);
    assert.equal(calls.size(), 0);
  });
});
