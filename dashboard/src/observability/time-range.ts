/**
 * Time ranges of the Logs, Analytics and Audit views: a preset relative to
 * now (kept relative in the URL, so a shared link shows the last hour when it
 * is opened) or a custom since/until pair in RFC 3339.
 */

export const RANGE_PRESETS = [
  { id: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 24 * 3_600_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const;

export type PresetId = (typeof RANGE_PRESETS)[number]['id'];
/** `all` means no time bound (record lists and the audit log only). */
export type RangeId = PresetId | 'all' | 'custom';

export interface TimeRange {
  readonly range: RangeId;
  /** RFC 3339; custom ranges only. */
  readonly since?: string;
  readonly until?: string;
}

export const RANGE_IDS: readonly RangeId[] = [...RANGE_PRESETS.map((p) => p.id), 'all', 'custom'];

export function isRangeId(value: string): value is RangeId {
  return (RANGE_IDS as readonly string[]).includes(value);
}

export function rangeLabel(range: RangeId): string {
  if (range === 'all') return 'All time';
  if (range === 'custom') return 'Custom range';
  return RANGE_PRESETS.find((p) => p.id === range)!.label;
}

/** An RFC 3339 time the API accepts, or undefined. */
export function validTime(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value))
    return undefined;
  return Number.isNaN(new Date(value).getTime()) ? undefined : value;
}

/** Reads `range`, `since`, `until` from a URL query; unknown or malformed values fall back. */
export function parseTimeRange(params: URLSearchParams, fallback: RangeId): TimeRange {
  const raw = params.get('range') ?? '';
  const range = isRangeId(raw) ? raw : fallback;
  if (range !== 'custom') return { range };
  const since = validTime(params.get('since'));
  const until = validTime(params.get('until'));
  return {
    range,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
  };
}

export function writeTimeRange(params: URLSearchParams, value: TimeRange, fallback: RangeId): void {
  if (value.range !== fallback) params.set('range', value.range);
  if (value.range !== 'custom') return;
  if (value.since !== undefined) params.set('since', value.since);
  if (value.until !== undefined) params.set('until', value.until);
}

/** The API's since/until for a range at `now`. */
export function resolveRange(value: TimeRange, now: Date): { since?: string; until?: string } {
  if (value.range === 'all') return {};
  if (value.range === 'custom')
    return {
      ...(value.since === undefined ? {} : { since: value.since }),
      ...(value.until === undefined ? {} : { until: value.until }),
    };
  const preset = RANGE_PRESETS.find((p) => p.id === value.range)!;
  return { since: new Date(now.getTime() - preset.ms).toISOString(), until: now.toISOString() };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An RFC 3339 time as the value of an `<input type="datetime-local">` (local time, minutes). */
export function toLocalInput(iso: string | undefined): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A `datetime-local` value (local time) as RFC 3339 UTC, or undefined when empty or invalid. */
export function fromLocalInput(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * A record's time in a table cell: the time of day for today's records, the
 * date and minute otherwise (the drawer shows the full time).
 */
export function compactTime(
  iso: string,
  now: Date,
  options: { locale?: string; timeZone?: string } = {},
): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const zone = options.timeZone === undefined ? {} : { timeZone: options.timeZone };
  const day = new Intl.DateTimeFormat('en-CA', { ...zone, dateStyle: 'short' });
  const today = day.format(date) === day.format(now);
  return new Intl.DateTimeFormat(
    options.locale,
    today ? { ...zone, timeStyle: 'medium' } : { ...zone, dateStyle: 'short', timeStyle: 'short' },
  ).format(date);
}
