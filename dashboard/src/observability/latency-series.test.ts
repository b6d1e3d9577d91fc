import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUCKET_MS } from './chart-scale.ts';
import { fillLatency, latencyTotals, linePath, markerIndexes } from './latency-series.ts';

const bucket = (start: string, count: number, p50: number, p95: number, p99: number) => ({
  start,
  count,
  p50,
  p95,
  p99,
});

describe('latency over time', () => {
  it('keeps every bucket of the range, empty ones without figures rather than zeros', () => {
    const slots = fillLatency(
      [
        bucket('2026-03-10T11:01:00.000Z', 2, 40, 50, 50),
        bucket('2026-03-10T11:03:00.000Z', 4, 200, 400, 400),
      ],
      '2026-03-10T11:00:30.000Z',
      '2026-03-10T11:04:00.000Z',
      BUCKET_MS.minute,
    );
    assert.deepEqual(
      slots.map((s) => [s.start.slice(11, 16), s.bucket?.p95 ?? null]),
      [
        ['11:00', null],
        ['11:01', 50],
        ['11:02', null],
        ['11:03', 400],
      ],
    );
  });

  it('gives no slot for an inverted range', () => {
    assert.deepEqual(
      fillLatency(
        [bucket('2026-03-10T11:01:00.000Z', 1, 1, 1, 1)],
        '2026-03-10T12:00:00Z',
        '2026-03-10T11:00:00Z',
        60_000,
      ),
      [],
    );
  });

  it('draws lines through consecutive values and starts again after a gap', () => {
    const x = (index: number) => index * 10;
    const y = (value: number) => 100 - value;
    assert.equal(
      linePath([1, 2, null, 4, null, null, 7, 8], x, y),
      'M0 99 L10 98 M30 96 M60 93 L70 92',
    );
    assert.equal(linePath([null, null], x, y), '');
    assert.equal(linePath([], x, y), '');
    assert.equal(linePath([1 / 3], x, y), 'M0 99.67');
  });

  it('marks every value on a sparse chart, only the lone ones on a dense chart', () => {
    const values = [1, 2, null, 4, null, null, 7, 8];
    assert.deepEqual(markerIndexes(values), [0, 1, 3, 6, 7]);
    assert.deepEqual(markerIndexes(values, 4), [3]);
    assert.deepEqual(markerIndexes([5], 0), [0]);
    assert.deepEqual(markerIndexes([]), []);
  });

  it('totals the requests and finds the slowest bucket by p99', () => {
    const totals = latencyTotals([
      bucket('2026-03-10T11:00:00.000Z', 3, 20, 30, 30),
      bucket('2026-03-10T11:01:00.000Z', 2, 40, 500, 500),
      bucket('2026-03-10T11:02:00.000Z', 4, 200, 400, 500),
    ]);
    assert.equal(totals.count, 9);
    assert.equal(totals.max, 500);
    assert.equal(totals.slowest?.start, '2026-03-10T11:01:00.000Z');
    assert.deepEqual(latencyTotals([]), { count: 0, slowest: undefined, max: 0 });
  });
});
