import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryLoginThrottle } from './login-throttle.ts';

const limits = { accountFailures: 3, addressFailures: 5, windowSeconds: 60 };

describe('memory login throttle', () => {
  it('locks an account after its failure limit, from any address', async () => {
    const throttle = createMemoryLoginThrottle(limits);
    for (let i = 0; i < 3; i += 1) {
      assert.equal(await throttle.retryAfter('a@x.test', `10.0.0.${i}`), 0);
      await throttle.recordFailure('a@x.test', `10.0.0.${i}`);
    }
    const wait = await throttle.retryAfter('a@x.test', '10.9.9.9');
    assert.ok(wait > 0 && wait <= 60, `retry after ${wait}`);
    assert.equal(await throttle.retryAfter('b@x.test', '10.9.9.9'), 0);
  });

  it('treats account names case-insensitively', async () => {
    const throttle = createMemoryLoginThrottle(limits);
    for (let i = 0; i < 3; i += 1) await throttle.recordFailure('A@X.test', '1.1.1.1');
    assert.ok((await throttle.retryAfter('a@x.TEST', '2.2.2.2')) > 0);
  });

  it('locks an address guessing many accounts', async () => {
    const throttle = createMemoryLoginThrottle(limits);
    for (let i = 0; i < 5; i += 1) await throttle.recordFailure(`u${i}@x.test`, '192.0.2.1');
    assert.ok((await throttle.retryAfter('fresh@x.test', '192.0.2.1')) > 0);
    assert.equal(await throttle.retryAfter('fresh@x.test', '192.0.2.2'), 0);
  });

  it('a success clears the account failures but not the address failures', async () => {
    const throttle = createMemoryLoginThrottle({ ...limits, addressFailures: 3 });
    await throttle.recordFailure('a@x.test', '1.1.1.1');
    await throttle.recordFailure('a@x.test', '1.1.1.1');
    await throttle.recordSuccess('a@x.test');
    await throttle.recordFailure('a@x.test', '2.2.2.2');
    await throttle.recordFailure('a@x.test', '2.2.2.2');
    assert.equal(await throttle.retryAfter('a@x.test', '2.2.2.2'), 0);
    await throttle.recordFailure('c@x.test', '1.1.1.1');
    assert.ok((await throttle.retryAfter('d@x.test', '1.1.1.1')) > 0);
  });

  it('forgets failures once the window has passed', async () => {
    let clock = 1_000_000;
    const throttle = createMemoryLoginThrottle(limits, () => clock);
    for (let i = 0; i < 3; i += 1) await throttle.recordFailure('a@x.test', '1.1.1.1');
    assert.equal(await throttle.retryAfter('a@x.test', '1.1.1.1'), 60);
    clock += 30_000;
    assert.equal(await throttle.retryAfter('a@x.test', '1.1.1.1'), 30);
    clock += 30_000;
    assert.equal(await throttle.retryAfter('a@x.test', '1.1.1.1'), 0);
  });
});
