import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compactTime,
  fromLocalInput,
  parseTimeRange,
  resolveRange,
  toLocalInput,
  validTime,
  writeTimeRange,
} from './time-range.ts';

const NOW = new Date('2026-03-10T12:00:00.000Z');

describe('time ranges', () => {
  it('resolves a preset relative to now', () => {
    assert.deepEqual(resolveRange({ range: '1h' }, NOW), {
      since: '2026-03-10T11:00:00.000Z',
      until: '2026-03-10T12:00:00.000Z',
    });
    assert.equal(resolveRange({ range: '7d' }, NOW).since, '2026-03-03T12:00:00.000Z');
  });

  it('gives no bounds for all time and the given ones for a custom range', () => {
    assert.deepEqual(resolveRange({ range: 'all' }, NOW), {});
    assert.deepEqual(resolveRange({ range: 'custom', since: '2026-01-01T00:00:00Z' }, NOW), {
      since: '2026-01-01T00:00:00Z',
    });
  });

  it('falls back on an unknown range and drops malformed custom times', () => {
    assert.deepEqual(parseTimeRange(new URLSearchParams('range=1y'), '24h'), { range: '24h' });
    assert.deepEqual(
      parseTimeRange(
        new URLSearchParams('range=custom&since=yesterday&until=2026-03-01T00:00:00Z'),
        '24h',
      ),
      { range: 'custom', until: '2026-03-01T00:00:00Z' },
    );
    assert.equal(validTime('2026-13-01T00:00:00Z'), undefined);
    assert.equal(validTime('2026-03-01T00:00:00'), undefined, 'an offset is required');
  });

  it('writes only what differs from the default, and reads back what it wrote', () => {
    const params = new URLSearchParams();
    writeTimeRange(params, { range: '24h' }, '24h');
    assert.equal(params.toString(), '');
    const custom = { range: 'custom', since: '2026-03-01T00:00:00.000Z' } as const;
    writeTimeRange(params, custom, '24h');
    assert.deepEqual(parseTimeRange(params, '24h'), custom);
  });

  it('round-trips a local datetime input through RFC 3339', () => {
    const iso = fromLocalInput('2026-03-10T09:30')!;
    assert.equal(toLocalInput(iso), '2026-03-10T09:30');
    assert.equal(fromLocalInput(''), undefined);
    assert.equal(fromLocalInput('10/03/2026 09:30'), undefined);
    assert.equal(toLocalInput('not a time'), '');
  });

  it('shows only the time of day for today, the date too for other days', () => {
    const options = { locale: 'en-US', timeZone: 'UTC' };
    assert.equal(compactTime('2026-03-10T09:05:07Z', NOW, options), '9:05:07 AM');
    assert.equal(compactTime('2026-03-09T09:05:07Z', NOW, options), '3/9/26, 9:05 AM');
    assert.equal(compactTime('garbage', NOW, options), 'garbage');
  });
});
