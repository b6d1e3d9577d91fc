import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clockTime,
  counterLabel,
  resetsIn,
  usageLevel,
  usagePercent,
  usageSummary,
  usedOfLimit,
} from './usage-limit-usage.ts';
import type { LimitUsage } from './usage-limit-usage.ts';

const usage = (overrides: Partial<LimitUsage>): LimitUsage => ({
  name: 'calls',
  period: 'hour',
  limit: 1000,
  group_by: [],
  window_start: '2026-11-24T13:00:00.000Z',
  resets_at: '2026-11-24T14:00:00.000Z',
  counters_total: 1,
  counters: [{ used: 412, remaining: 588 }],
  ...overrides,
});

describe('usage limit counts', () => {
  it('writes used of limit with thousands separators', () => {
    assert.equal(usedOfLimit(412, 1000), '412 / 1,000');
    assert.equal(usedOfLimit(0, 0), '0 / 0');
  });

  it('grades a counter: full at the limit, high from 80 %', () => {
    assert.equal(usageLevel(79, 100), 'ok');
    assert.equal(usageLevel(80, 100), 'high');
    assert.equal(usageLevel(100, 100), 'full');
    assert.equal(usageLevel(120, 100), 'full', 'a lowered limit may be exceeded');
    assert.equal(usageLevel(0, 0), 'full', 'a limit of zero refuses everything');
    assert.equal(usagePercent(412, 1000), 41);
    assert.equal(usagePercent(5, 2), 100);
    assert.equal(usagePercent(0, 0), 100);
  });

  it('says when the window resets, naming the day only when it is not today', () => {
    const now = new Date('2026-11-24T13:37:10.000Z');
    assert.equal(resetsIn('2026-11-24T14:00:00.000Z', now, 'UTC'), 'resets at 14:00 (in 23 min)');
    assert.equal(
      resetsIn('2026-11-25T00:00:00.000Z', now, 'UTC'),
      'resets at Nov 25, 00:00 (in 10 h 23 min)',
    );
    assert.equal(
      resetsIn('2026-11-26T00:00:00.000Z', now, 'UTC'),
      'resets at Nov 26, 00:00 (in 34 h 23 min)',
    );
    assert.equal(
      resetsIn('2026-11-30T00:00:00.000Z', now, 'UTC'),
      'resets at Nov 30, 00:00 (in 5 days)',
    );
    assert.equal(resetsIn('2026-11-24T13:00:00.000Z', now, 'UTC'), 'resets now');
    assert.equal(resetsIn('not a date', now, 'UTC'), '');
  });

  it('names whose counter a row is, and a removed member or key without a name', () => {
    assert.equal(counterLabel({ used: 1, remaining: 2 }), 'Whole workspace');
    assert.equal(
      counterLabel({
        member: { id: 'u1', email: 'bob@acme.test' },
        api_key: { id: 'k1', name: 'ci' },
        server: 'wiki',
        tool: 'search',
        used: 1,
        remaining: 2,
      }),
      'bob@acme.test · key ci · on wiki · tool search',
    );
    assert.equal(
      counterLabel({
        member: { id: 'u1', email: null },
        client: 'https://claude.ai/client.json',
        used: 1,
        remaining: 2,
      }),
      'a removed member · app https://claude.ai/client.json',
    );
    assert.equal(
      counterLabel({ api_key: { id: '0123456789ab', name: null }, used: 1, remaining: 0 }),
      'key 01234567',
    );
  });

  it('summarises a workspace-wide limit by its count and a grouped one by its fullest', () => {
    assert.deepEqual(usageSummary(usage({})), { text: '412 / 1,000', level: 'ok' });
    assert.deepEqual(
      usageSummary(
        usage({
          group_by: ['member'],
          limit: 50,
          counters_total: 3,
          counters: [
            { member: { id: 'a', email: 'a@x' }, used: 45, remaining: 5 },
            { member: { id: 'b', email: 'b@x' }, used: 2, remaining: 48 },
          ],
        }),
      ),
      { text: '3 counters in use; fullest 45 / 50', level: 'high' },
    );
    assert.deepEqual(
      usageSummary(usage({ group_by: ['member'], counters_total: 0, counters: [] })),
      {
        text: 'Not used in this window',
        level: 'ok',
      },
    );
  });
});

it('writes times of day 24-hour, with seconds when asked', () => {
  const at = new Date('2026-11-24T22:47:41Z');
  assert.equal(clockTime(at, 'UTC'), '22:47');
  assert.equal(clockTime(at, 'UTC', true), '22:47:41');
});
