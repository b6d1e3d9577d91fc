/**
 * The Analytics view's range in its URL (`range`, custom `since`/`until`,
 * `server`) and the query every analytics route takes.
 */
import { parseTimeRange, resolveRange, writeTimeRange } from './time-range.ts';
import type { TimeRange } from './time-range.ts';

export interface AnalyticsView extends TimeRange {
  readonly server?: string;
}

export const ANALYTICS_DEFAULT_RANGE = '24h';
/** Analytics need a bounded range: no `all`, and a custom range needs both ends. */
export const ANALYTICS_RANGES = ['1h', '24h', '7d', '30d', 'custom'] as const;

export function parseAnalyticsView(search: string): AnalyticsView {
  const params = new URLSearchParams(search);
  let range = parseTimeRange(params, ANALYTICS_DEFAULT_RANGE);
  if (!(ANALYTICS_RANGES as readonly string[]).includes(range.range))
    range = { range: ANALYTICS_DEFAULT_RANGE };
  if (range.range === 'custom' && (range.since === undefined || range.until === undefined))
    range = { range: ANALYTICS_DEFAULT_RANGE };
  const server = params.get('server')?.trim() ?? '';
  return { ...range, ...(server !== '' && server.length <= 200 ? { server } : {}) };
}

export function analyticsSearch(view: AnalyticsView): string {
  const params = new URLSearchParams();
  writeTimeRange(params, view, ANALYTICS_DEFAULT_RANGE);
  if (view.server !== undefined) params.set('server', view.server);
  return params.toString();
}

export function analyticsQuery(view: AnalyticsView, now: Date) {
  const { since, until } = resolveRange(view, now);
  return {
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(view.server === undefined ? {} : { server: view.server }),
  };
}
