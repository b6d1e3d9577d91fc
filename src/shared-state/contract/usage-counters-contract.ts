import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageCounters } from '../../policy/usage-limits-counters.ts';

/** Two instances' counters on one shared state, reading the given clock. */
export type CountersPair = (now?: () => number) => Promise<[UsageCounters, UsageCounters]>;

export function usageCountersContract(kind: string, pair: CountersPair, skip?: string): void {
  describe(`usage counters (${kind})`, { skip }, () => {
    it('refuses a non-positive or fractional window and a negative limit, counting nothing', async () => {
      const [a] = await pair(() => 0);
      await assert.rejects(async () => a.consume('k', 0, 1), RangeError);
      await assert.rejects(async () => a.consume('k', 1.5, 1), RangeError);
      await assert.rejects(async () => a.consume('k', 1000, -1), RangeError);
      await assert.rejects(async () => a.consume('k', 1000, 0.5), RangeError);
      assert.equal((await a.consume('k', 1000, 1)).allowed, true);
    });

    it('allows exactly the limit in one window, then refuses with the time to the reset', async () => {
      let now = 60_000 * 100 + 15_000;
      const [a, b] = await pair(() => now);
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await (i % 2 === 0 ? a : b).consume('k', 60_000, 3));
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
      assert.equal((await b.consume('k', 60_000, 3)).allowed, false);
      now += 1;
      assert.equal((await a.consume('k', 60_000, 3)).allowed, true, 'resets on the minute');
    });

    it('a limit of zero refuses everything', async () => {
      const [a] = await pair(() => 10);
      assert.equal((await a.consume('k', 1000, 0)).allowed, false);
    });

    it('keeps keys and window lengths apart', async () => {
      const [a, b] = await pair(() => 5);
      assert.equal((await a.consume('a', 1000, 1)).allowed, true);
      assert.equal((await b.consume('b', 1000, 1)).allowed, true);
      assert.equal((await a.consume('a', 2000, 1)).allowed, true);
      assert.equal((await b.consume('a', 1000, 1)).allowed, false);
    });

    it('reads a scope’s counters of the current window from any instance, taking nothing', async () => {
      let now = 3_600_000 * 10 + 600_000;
      const [a, b] = await pair(() => now);
      const sorted = (reading: Awaited<ReturnType<typeof a.read>>) =>
        [...reading.counters].sort((x, y) => x.key.localeCompare(y.key));
      assert.deepEqual(await b.read('rule', 3_600_000), {
        windowStart: 3_600_000 * 10,
        windowEnd: 3_600_000 * 11,
        counters: [],
      });
      for (let i = 0; i < 3; i++) await a.consume('rule\u0000m:alice', 3_600_000, 5, 'rule');
      await b.consume('rule\u0000m:bob', 3_600_000, 5, 'rule');
      await b.consume('other\u0000m:alice', 3_600_000, 5, 'other');
      await a.consume('rule\u0000m:alice', 60_000, 5, 'rule');
      for (let i = 0; i < 3; i++) {
        const reading = await (i % 2 === 0 ? a : b).read('rule', 3_600_000);
        assert.equal(reading.windowEnd, 3_600_000 * 11);
        assert.deepEqual(sorted(reading), [
          { key: 'rule\u0000m:alice', count: 3 },
          { key: 'rule\u0000m:bob', count: 1 },
        ]);
      }
      assert.equal((await a.consume('rule\u0000m:bob', 3_600_000, 2, 'rule')).remaining, 0);
      now += 3_000_000;
      assert.deepEqual((await a.read('rule', 3_600_000)).counters, [], 'a new window is empty');
    });

    it('reads a counter consumed without a scope under its own key, refusals uncounted', async () => {
      const [a, b] = await pair(() => 5);
      for (let i = 0; i < 4; i++) await a.consume('solo', 1000, 2);
      assert.deepEqual((await b.read('solo', 1000)).counters, [{ key: 'solo', count: 2 }]);
      await assert.rejects(async () => b.read('solo', 0), RangeError);
    });

    it('allows exactly N of 3N concurrent consumes spread over two instances', async () => {
      const [a, b] = await pair();
      const limit = 50;
      const results = await Promise.all(
        Array.from({ length: 3 * limit }, (_, i) =>
          Promise.resolve().then(() => (i % 2 === 0 ? a : b).consume('global', 3_600_000, limit)),
        ),
      );
      assert.equal(results.filter((result) => result.allowed).length, limit);
      const remaining = results
        .filter((result) => result.allowed)
        .map((result) => result.remaining);
      assert.deepEqual(
        remaining.sort((x, y) => x - y),
        Array.from({ length: limit }, (_, i) => i),
        'each allowed call saw a distinct count',
      );
    });
  });
}
