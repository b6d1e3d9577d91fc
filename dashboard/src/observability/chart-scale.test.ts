import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BUCKET_MS,
  barSlots,
  fillBuckets,
  labelledIndexes,
  linear,
  niceCeil,
  valueTicks,
} from './chart-scale.ts';

describe('chart scales', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    assert.deepEqual(
      [0, 0.3, 1, 3, 7, 12, 51, 1000].map(niceCeil),
      [1, 0.5, 1, 5, 10, 20, 100, 1000],
    );
  });

  it('gives whole-number ticks from zero covering the maximum', () => {
    assert.deepEqual(valueTicks(7), { max: 8, ticks: [0, 2, 4, 6, 8] });
    assert.deepEqual(valueTicks(0), { max: 1, ticks: [0, 1] });
    assert.deepEqual(valueTicks(100), { max: 100, ticks: [0, 50, 100] });
    assert.deepEqual(valueTicks(3), { max: 3, ticks: [0, 1, 2, 3] });
  });

  it('gives fractional ticks for milliseconds when asked', () => {
    const { max, ticks } = valueTicks(0.7, 4, false);
    assert.equal(max, 0.8);
    assert.deepEqual(ticks, [0, 0.2, 0.4, 0.6, 0.8]);
  });

  it('maps values onto pixels, clamped to the scale, upside down for SVG y', () => {
    const y = linear(10, 100, 0);
    assert.equal(y(0), 100);
    assert.equal(y(5), 50);
    assert.equal(y(20), 0);
    assert.equal(y(-1), 100);
    assert.equal(linear(0, 0, 10)(0), 0);
  });
});

describe('time buckets', () => {
  it('fills the buckets the API left out with zeros, aligned on the epoch', () => {
    const filled = fillBuckets(
      [{ start: '2026-03-10T11:02:00.000Z', requests: 4, errors: 1 }],
      '2026-03-10T11:00:30.000Z',
      '2026-03-10T11:04:00.000Z',
      BUCKET_MS.minute,
    );
    assert.deepEqual(
      filled.map((b) => [b.start.slice(11, 16), b.requests, b.errors]),
      [
        ['11:00', 0, 0],
        ['11:01', 0, 0],
        ['11:02', 4, 1],
        ['11:03', 0, 0],
      ],
    );
  });

  it('gives nothing for an empty or inverted range', () => {
    assert.deepEqual(fillBuckets([], '2026-03-10T12:00:00Z', '2026-03-10T11:00:00Z', 60_000), []);
    assert.deepEqual(fillBuckets([], 'garbage', '2026-03-10T11:00:00Z', 60_000), []);
  });

  it('covers a day of hours with 24 or 25 buckets', () => {
    const filled = fillBuckets([], '2026-03-09T12:30:00Z', '2026-03-10T12:30:00Z', BUCKET_MS.hour);
    assert.equal(filled.length, 25);
  });

  it('labels at most the requested number of buckets, starting with the first', () => {
    assert.deepEqual(labelledIndexes(60, 6), [0, 10, 20, 30, 40, 50]);
    assert.deepEqual(labelledIndexes(3, 6), [0, 1, 2]);
    assert.deepEqual(labelledIndexes(0), []);
  });

  it('lays bars out side by side within the width', () => {
    const slots = barSlots(4, 400, 0.5);
    assert.equal(slots.width, 50);
    assert.equal(slots.x(0), 25);
    assert.equal(slots.x(3) + slots.width, 375);
  });
});
