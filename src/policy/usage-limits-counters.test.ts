import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryUsageCounters } from './usage-limits-counters.ts';

describe('memory usage counters', () => {
  it('refuses a non-positive or fractional window and a negative limit, counting nothing', () => {
    const counters = createMemoryUsageCounters(() => 0);
    assert.throws(() => counters.consume('k', 0, 1), RangeError);
    assert.throws(() => counters.consume('k', 1.5, 1), RangeError);
    assert.throws(() => counters.consume('k', 1000, -1), RangeError);
    assert.throws(() => counters.consume('k', 1000, 0.5), RangeError);
    assert.equal(counters.consume('k', 1000, 1).allowed, true);
  });

  it('allows exactly the limit in one window, then refuses with the time to the reset', () => {
    let now = 60_000 * 100 + 15_000;
    const counters = createMemoryUsageCounters(() => now);
    const results = Array.from({ length: 4 }, () => counters.consume('k', 60_000, 3));
    assert.deepEqual(
      results.map((result) => [result.allowed, result.remaining]),
      [
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ],
    );
    assert.equal(results[3]!.retryAfterMs, 45_000);
    now += 44_999;
    assert.equal(counters.consume('k', 60_000, 3).allowed, false);
    now += 1;
    assert.equal(counters.consume('k', 60_000, 3).allowed, true, 'resets on the minute');
  });

  it('a limit of zero refuses everything', () => {
    const counters = createMemoryUsageCounters(() => 10);
    assert.equal(counters.consume('k', 1000, 0).allowed, false);
  });

  it('keeps keys and window lengths apart', () => {
    const counters = createMemoryUsageCounters(() => 5);
    assert.equal(counters.consume('a', 1000, 1).allowed, true);
    assert.equal(counters.consume('b', 1000, 1).allowed, true);
    assert.equal(counters.consume('a', 2000, 1).allowed, true);
    assert.equal(counters.consume('a', 1000, 1).allowed, false);
  });

  it('holds exactly under many concurrent consumers', async () => {
    const counters = createMemoryUsageCounters(() => 1);
    const results = await Promise.all(
      Array.from({ length: 500 }, () =>
        Promise.resolve().then(() => counters.consume('k', 60_000, 123)),
      ),
    );
    assert.equal(results.filter((result) => result.allowed).length, 123);
  });

  it('sweeps expired windows and still counts correctly after', () => {
    let now = 0;
    const counters = createMemoryUsageCounters(() => now);
    for (let i = 0; i < 10_050; i++) counters.consume(`k${i}`, 1000, 1);
    now = 5_000;
    assert.equal(counters.consume('k1', 1000, 1).allowed, true);
    assert.equal(counters.consume('k1', 1000, 1).allowed, false);
  });
});
