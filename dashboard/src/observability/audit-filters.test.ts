import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditFiltersSearch, auditQuery, parseAuditFilters } from './audit-filters.ts';
import { analyticsQuery, analyticsSearch, parseAnalyticsView } from './analytics-range.ts';

const NOW = new Date('2026-03-10T12:00:00.000Z');

describe('audit filters', () => {
  it('reads actor, action and target type from the URL and writes them back', () => {
    const filters = parseAuditFilters(
      'actor=ada%40acme.test&action=server.update&targetType=server',
    );
    assert.deepEqual(filters, {
      range: 'all',
      actor: 'ada@acme.test',
      action: 'server.update',
      targetType: 'server',
    });
    assert.deepEqual(parseAuditFilters(auditFiltersSearch(filters)), filters);
  });

  it('drops an action the API would refuse', () => {
    assert.deepEqual(parseAuditFilters('action=DROP%20TABLE'), { range: 'all' });
  });

  it('always asks for the workspace on screen', () => {
    assert.deepEqual(auditQuery('acme', { range: '24h', actor: 'ada' }, NOW), {
      workspace: 'acme',
      since: '2026-03-09T12:00:00.000Z',
      actor: 'ada',
    });
  });
});

describe('analytics range', () => {
  it('refuses unbounded ranges: all time and half-open custom ranges fall back to 24 hours', () => {
    assert.deepEqual(parseAnalyticsView('range=all'), { range: '24h' });
    assert.deepEqual(parseAnalyticsView('range=custom&since=2026-03-01T00:00:00Z'), {
      range: '24h',
    });
  });

  it('keeps a bounded custom range and a server in the URL', () => {
    const search =
      'range=custom&since=2026-03-01T00%3A00%3A00Z&until=2026-03-02T00%3A00%3A00Z&server=github';
    const view = parseAnalyticsView(search);
    assert.equal(view.server, 'github');
    assert.deepEqual(parseAnalyticsView(analyticsSearch(view)), view);
    assert.deepEqual(analyticsQuery(view, NOW), {
      since: '2026-03-01T00:00:00Z',
      until: '2026-03-02T00:00:00Z',
      server: 'github',
    });
  });

  it('bounds a preset on both sides at now', () => {
    assert.deepEqual(analyticsQuery({ range: '1h' }, NOW), {
      since: '2026-03-10T11:00:00.000Z',
      until: '2026-03-10T12:00:00.000Z',
    });
  });
});
