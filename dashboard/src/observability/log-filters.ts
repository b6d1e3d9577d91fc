/**
 * The Logs view's filters ↔ its URL query ↔ the records API query. Every
 * filter GET …/records supports, and nothing else: the URL is the view, so a
 * link shows the same records.
 */
import { parseTimeRange, resolveRange, writeTimeRange } from './time-range.ts';
import type { TimeRange } from './time-range.ts';

export interface LogFilters extends TimeRange {
  readonly server?: string;
  /** A member's user id. */
  readonly member?: string;
  readonly tool?: string;
  readonly status?: 'ok' | 'error';
  /** Text in the method, target or error message. */
  readonly q?: string;
}

export const LOGS_DEFAULT_RANGE = '24h';

const TEXT_FIELDS = ['server', 'member', 'tool', 'q'] as const;
/** The API's bounds; longer values are dropped here rather than refused there. */
const MAX_LENGTH = { server: 200, member: 200, tool: 500, q: 200 } as const;

export function parseLogFilters(search: string): LogFilters {
  const params = new URLSearchParams(search);
  const filters: Record<string, string> = {};
  for (const field of TEXT_FIELDS) {
    const value = params.get(field)?.trim();
    if (value !== undefined && value !== '' && value.length <= MAX_LENGTH[field])
      filters[field] = value;
  }
  const status = params.get('status');
  return {
    ...parseTimeRange(params, LOGS_DEFAULT_RANGE),
    ...filters,
    ...(status === 'ok' || status === 'error' ? { status } : {}),
  };
}

/** The URL query of a view (defaults left out), without the leading `?`. */
export function logFiltersSearch(filters: LogFilters): string {
  const params = new URLSearchParams();
  writeTimeRange(params, filters, LOGS_DEFAULT_RANGE);
  for (const field of TEXT_FIELDS) {
    const value = filters[field];
    if (value !== undefined && value !== '') params.set(field, value);
  }
  if (filters.status !== undefined) params.set('status', filters.status);
  return params.toString();
}

export interface RecordsQuery {
  since?: string;
  until?: string;
  server?: string;
  member?: string;
  tool?: string;
  status?: 'ok' | 'error';
  q?: string;
}

/**
 * The records API query at `now`. A preset range has no upper bound, so
 * records written after the page loaded still match (live tail, "Older").
 */
export function recordsQuery(filters: LogFilters, now: Date): RecordsQuery {
  const { since, until } = resolveRange(filters, now);
  const query: RecordsQuery = {};
  if (since !== undefined) query.since = since;
  if (filters.range === 'custom' && until !== undefined) query.until = until;
  for (const field of TEXT_FIELDS) {
    const value = filters[field];
    if (value !== undefined) query[field] = value;
  }
  if (filters.status !== undefined) query.status = filters.status;
  return query;
}

/** Whether new records can still match: not for a custom range that has ended. */
export function canTail(filters: LogFilters, now: Date): boolean {
  if (filters.range !== 'custom') return true;
  return filters.until === undefined || new Date(filters.until) > now;
}

/** The export link for the same filters. */
export function exportHref(
  workspaceId: string,
  filters: LogFilters,
  format: 'ndjson' | 'csv',
  now: Date,
): string {
  const params = new URLSearchParams();
  const query = recordsQuery(filters, now);
  for (const name of Object.keys(query) as (keyof RecordsQuery)[]) {
    const value = query[name];
    if (value !== undefined) params.set(name, value);
  }
  params.set('format', format);
  return `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/records/export?${params.toString()}`;
}
