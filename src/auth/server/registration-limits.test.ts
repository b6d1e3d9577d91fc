import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRegistrationLimits } from './registration-limits.ts';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('registration limits', () => {
  it('refuses the registration past the per-(address, name) limit with a retry delay', () => {
    const time = clock();
    const limits = createRegistrationLimits({
      perClientPerWindow: 2,
      windowMs: 60_000,
      now: time.now,
    });
    assert.deepEqual(limits.take('10.0.0.1', 'Claude'), { allowed: true });
    assert.deepEqual(limits.take('10.0.0.1', 'Claude'), { allowed: true });
    time.advance(15_000);
    assert.deepEqual(limits.take('10.0.0.1', 'Claude'), { allowed: false, retryAfterSeconds: 45 });
  });

  it('does not throttle other client names behind the same address', () => {
    const limits = createRegistrationLimits({ perClientPerWindow: 1 });
    assert.equal(limits.take('10.0.0.1', 'Claude').allowed, true);
    assert.equal(limits.take('10.0.0.1', 'Claude').allowed, false);
    assert.equal(limits.take('10.0.0.1', 'Cursor').allowed, true);
  });

  it('applies the global cap across all callers', () => {
    const limits = createRegistrationLimits({ perClientPerWindow: 100, globalPerWindow: 3 });
    for (let i = 0; i < 3; i += 1) assert.equal(limits.take(`10.0.0.${i}`, `n${i}`).allowed, true);
    const refused = limits.take('10.0.0.9', 'other');
    assert.equal(refused.allowed, false);
  });

  it('allows again once the window has passed', () => {
    const time = clock();
    const limits = createRegistrationLimits({
      perClientPerWindow: 1,
      windowMs: 1000,
      now: time.now,
    });
    assert.equal(limits.take('a', 'b').allowed, true);
    assert.equal(limits.take('a', 'b').allowed, false);
    time.advance(1000);
    assert.equal(limits.take('a', 'b').allowed, true);
  });

  it('never de-duplicates confidential registrations', () => {
    const limits = createRegistrationLimits();
    assert.equal(
      limits.dedupeKey({ client_name: 'x', redirect_uris: ['https://a/cb'] }),
      undefined,
    );
    assert.equal(
      limits.dedupeKey({ client_name: 'x', token_endpoint_auth_method: 'client_secret_post' }),
      undefined,
    );
  });

  it('gives identical public registrations one key regardless of list order', () => {
    const limits = createRegistrationLimits();
    const a = limits.dedupeKey({
      client_name: 'Cursor',
      token_endpoint_auth_method: 'none',
      redirect_uris: [
        'cursor://anysphere.cursor-mcp/oauth/callback',
        'http://localhost:8787/callback',
      ],
    });
    const b = limits.dedupeKey({
      client_name: 'Cursor',
      token_endpoint_auth_method: 'none',
      redirect_uris: [
        'http://localhost:8787/callback',
        'cursor://anysphere.cursor-mcp/oauth/callback',
      ],
    });
    const c = limits.dedupeKey({
      client_name: 'Cursor',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://localhost:8788/callback'],
    });
    assert.ok(a !== undefined);
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it('answers a duplicate only within the de-duplication window', () => {
    const time = clock();
    const limits = createRegistrationLimits({ dedupeMs: 10_000, now: time.now });
    limits.remember('k', 'client-1');
    assert.equal(limits.findDuplicate('k'), 'client-1');
    assert.equal(limits.findDuplicate('other'), undefined);
    time.advance(10_000);
    assert.equal(limits.findDuplicate('k'), undefined);
  });
});
