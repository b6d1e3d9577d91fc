import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TAIL_LOOKBACK_MS, compareNewestFirst, mergeRecords, tailSince } from './live-tail.ts';

const at = (id: string, time: string) => ({ id, time });

describe('live tail', () => {
  it('prepends only records not already shown, newest first', () => {
    const shown = [at('b', '2026-03-10T12:00:02Z'), at('a', '2026-03-10T12:00:01Z')];
    const { records, added } = mergeRecords(shown, [
      at('c', '2026-03-10T12:00:03Z'),
      at('b', '2026-03-10T12:00:02Z'),
    ]);
    assert.equal(added, 1);
    assert.deepEqual(
      records.map((r) => r.id),
      ['c', 'b', 'a'],
    );
  });

  it('places a late-written record by its time, not at the top', () => {
    const shown = [at('b', '2026-03-10T12:00:05Z'), at('a', '2026-03-10T12:00:01Z')];
    const { records } = mergeRecords(shown, [at('slow', '2026-03-10T12:00:03Z')]);
    assert.deepEqual(
      records.map((r) => r.id),
      ['b', 'slow', 'a'],
    );
  });

  it('keeps the list unchanged when nothing is new', () => {
    const shown = [at('a', '2026-03-10T12:00:01Z')];
    assert.deepEqual(mergeRecords(shown, shown), { records: shown, added: 0 });
  });

  it('orders equal times by id descending, as the API does', () => {
    assert.ok(
      compareNewestFirst(at('b', '2026-03-10T12:00:00Z'), at('a', '2026-03-10T12:00:00Z')) < 0,
    );
  });

  it('polls from a look-back before the newest shown record, never before the range', () => {
    const shown = [at('a', '2026-03-10T12:00:01Z'), at('b', '2026-03-10T12:10:00Z')];
    assert.equal(
      tailSince(shown, undefined),
      new Date(Date.parse('2026-03-10T12:10:00Z') - TAIL_LOOKBACK_MS).toISOString(),
    );
    assert.equal(tailSince(shown, '2026-03-10T12:09:59.500Z'), '2026-03-10T12:09:59.500Z');
    assert.equal(tailSince([], '2026-03-10T11:00:00Z'), '2026-03-10T11:00:00Z');
    assert.equal(tailSince([], undefined), undefined);
  });
});
