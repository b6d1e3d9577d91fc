/**
 * The usage-limits page's current counts in words: "412 / 1,000", when the
 * window resets, and whose counter a row is, from GET …/workspaces/:ws/usage.
 */
import type { ApiResult } from '../api/client.ts';

export type LimitUsage = ApiResult<'/api/v1/workspaces/{workspaceId}/usage', 'get'>[number];
export type LimitCounter = LimitUsage['counters'][number];

/** How full a counter is: `full` refuses the next request, `high` is at 80 % or more. */
export type UsageLevel = 'ok' | 'high' | 'full';

const count = (value: number) => value.toLocaleString('en');

/** "412 / 1,000". */
export function usedOfLimit(used: number, limit: number): string {
  return `${count(used)} / ${count(limit)}`;
}

export function usageLevel(used: number, limit: number): UsageLevel {
  if (used >= limit) return 'full';
  return used >= limit * 0.8 ? 'high' : 'ok';
}

/** 0–100, for a meter; a limit of zero is always full. */
export function usagePercent(used: number, limit: number): number {
  if (limit <= 0) return 100;
  return Math.min(100, Math.round((used / limit) * 100));
}

function duration(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.round(hours / 24)} days`;
}

/** A time of day as the counts show it, 24-hour: "14:05", or "14:05:09" with seconds. */
export function clockTime(at: Date, timeZone?: string, seconds = false): string {
  return new Intl.DateTimeFormat('en', {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
    ...(timeZone === undefined ? {} : { timeZone }),
  }).format(at);
}

/**
 * "resets at 14:00 (in 23 min)"; a reset on another day names the day.
 * `timeZone` is the browser's unless given (tests pin one).
 */
export function resetsIn(resetsAt: string, now: Date, timeZone?: string): string {
  const at = new Date(resetsAt);
  if (Number.isNaN(at.getTime())) return '';
  const left = at.getTime() - now.getTime();
  if (left <= 0) return 'resets now';
  const zone = timeZone === undefined ? {} : { timeZone };
  const day = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', ...zone });
  const time = clockTime(at, timeZone);
  const when = day.format(at) === day.format(now) ? time : `${day.format(at)}, ${time}`;
  return `resets at ${when} (in ${duration(left)})`;
}

/** Whose counter a row is: "bob@acme.test · key ci · on wiki", or the whole workspace's. */
export function counterLabel(counter: LimitCounter): string {
  const parts = [
    counter.member === undefined ? undefined : (counter.member.email ?? 'a removed member'),
    counter.api_key === undefined
      ? undefined
      : `key ${counter.api_key.name ?? counter.api_key.id.slice(0, 8)}`,
    counter.client === undefined ? undefined : `app ${counter.client}`,
    counter.server === undefined ? undefined : `on ${counter.server}`,
    counter.tool === undefined
      ? undefined
      : `tool ${counter.tool === '' ? '(none)' : counter.tool}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'Whole workspace' : parts.join(' · ');
}

/** The summary cell of a limit: its one counter, or how many groups used it and the fullest. */
export function usageSummary(usage: LimitUsage): { text: string; level: UsageLevel } {
  const top = usage.counters[0];
  if (usage.group_by.length === 0) {
    const used = top?.used ?? 0;
    return { text: usedOfLimit(used, usage.limit), level: usageLevel(used, usage.limit) };
  }
  if (top === undefined) return { text: 'Not used in this window', level: 'ok' };
  const groups =
    usage.counters_total === 1 ? '1 counter' : `${count(usage.counters_total)} counters`;
  return {
    text: `${groups} in use; fullest ${usedOfLimit(top.used, usage.limit)}`,
    level: usageLevel(top.used, usage.limit),
  };
}
