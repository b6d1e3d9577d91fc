import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canTail,
  exportHref,
  logFiltersSearch,
  parseLogFilters,
  recordsQuery,
} from './log-filters.ts';

const NOW = new Date('2026-03-10T12:00:00.000Z');

describe('log filters', () => {
  it('reads every filter the records API supports from the URL and writes them back', () => {
    const search = 'range=1h&server=github&member=u1&tool=search_issues&q=timeout&status=error';
    const filters = parseLogFilters(search);
    assert.deepEqual(filters, {
      range: '1h',
      server: 'github',
      member: 'u1',
      tool: 'search_issues',
      q: 'timeout',
      status: 'error',
    });
    assert.deepEqual(parseLogFilters(logFiltersSearch(filters)), filters);
  });

  it('drops unknown statuses, blank and over-long values instead of sending them', () => {
    assert.deepEqual(parseLogFilters(`status=maybe&server=%20&q=${'x'.repeat(201)}&page=2`), {
      range: '24h',
    });
    assert.equal(logFiltersSearch({ range: '24h' }), '');
  });

  it('bounds a preset range below only, so newer records still match', () => {
    assert.deepEqual(recordsQuery({ range: '1h', status: 'ok' }, NOW), {
      since: '2026-03-10T11:00:00.000Z',
      status: 'ok',
    });
    assert.deepEqual(recordsQuery({ range: 'all' }, NOW), {});
    assert.deepEqual(
      recordsQuery(
        { range: 'custom', since: '2026-03-01T00:00:00Z', until: '2026-03-02T00:00:00Z' },
        NOW,
      ),
      { since: '2026-03-01T00:00:00Z', until: '2026-03-02T00:00:00Z' },
    );
  });

  it('tails only while the range can still receive records', () => {
    assert.equal(canTail({ range: '15m' }, NOW), true);
    assert.equal(canTail({ range: 'custom', until: '2026-03-02T00:00:00Z' }, NOW), false);
    assert.equal(canTail({ range: 'custom', since: '2026-03-02T00:00:00Z' }, NOW), true);
  });

  it('exports with the same filters, every value URL-encoded', () => {
    const href = exportHref('a&b', { range: 'all', tool: 'x&format=csv' }, 'ndjson', NOW);
    const url = new URL(href, 'http://gateway.test');
    assert.equal(url.pathname, '/api/v1/workspaces/a%26b/records/export');
    assert.equal(url.searchParams.get('tool'), 'x&format=csv');
    assert.deepEqual(url.searchParams.getAll('format'), ['ndjson']);
  });
});
