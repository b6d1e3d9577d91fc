/**
 * The read side of usage limits: how much of each rule's current window is
 * used, per group, from the same counters enforcement consumes (memory on
 * one instance, Redis across many). Reading takes no unit.
 */
import type { UsageLimitRule } from '../store/model.ts';
import type { UsageCounters } from './usage-limits-counters.ts';
import { PERIOD_MS, counterScope } from './usage-limits.ts';

/** The groups of one counter, parsed back from its key (usage-limits.ts `counterKey`). */
export interface CounterGroup {
  readonly server?: string;
  readonly tool?: string;
  /** The member counted: group `member`, or the user behind an OAuth client for `api_key`. */
  readonly memberId?: string;
  readonly apiKeyId?: string;
  /** The OAuth client of a signed-in caller, for group `api_key`. */
  readonly clientId?: string;
}

export interface LimitCounter {
  readonly group: CounterGroup;
  readonly used: number;
  readonly remaining: number;
}

export interface LimitUsage {
  readonly rule: UsageLimitRule;
  readonly windowStart: Date;
  /** When the window ends and every counter of the rule starts again from zero. */
  readonly resetsAt: Date;
  /** Most used first. A rule without groups has exactly one counter, used or not. */
  readonly counters: readonly LimitCounter[];
}

const OAUTH_PREFIX = 'c:oauth:';

/** One `group_by` part of a key; undefined when it is not the part that group writes. */
function parsePart(
  group: UsageLimitRule['groupBy'][number],
  part: string,
): CounterGroup | undefined {
  if (group === 'server') return part.startsWith('s:') ? { server: part.slice(2) } : undefined;
  if (group === 'tool') return part.startsWith('t:') ? { tool: part.slice(2) } : undefined;
  if (group === 'member') return part.startsWith('m:') ? { memberId: part.slice(2) } : undefined;
  if (part.startsWith('k:')) return { apiKeyId: part.slice(2) };
  if (!part.startsWith(OAUTH_PREFIX)) return undefined;
  // `oauth:<user>:<client>`: user ids hold no colon, client ids (CIMD URLs) may.
  const rest = part.slice(OAUTH_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0) return undefined;
  return { memberId: rest.slice(0, colon), clientId: rest.slice(colon + 1) };
}

/**
 * The groups of a counter key of `rule`, or undefined for a key that is not
 * one (a counter left from a rule whose groups changed within the window).
 */
export function parseCounterGroup(rule: UsageLimitRule, key: string): CounterGroup | undefined {
  const scope = counterScope(rule);
  if (key === scope) return rule.groupBy.length === 0 ? {} : undefined;
  if (!key.startsWith(`${scope}\u0000`)) return undefined;
  const parts = key.slice(scope.length + 1).split('\u0000');
  if (parts.length !== rule.groupBy.length) return undefined;
  let group: CounterGroup = {};
  for (let i = 0; i < parts.length; i++) {
    const parsed = parsePart(rule.groupBy[i]!, parts[i]!);
    if (parsed === undefined) return undefined;
    group = { ...group, ...parsed };
  }
  return group;
}

export async function readLimitUsage(
  rule: UsageLimitRule,
  counters: Pick<UsageCounters, 'read'>,
): Promise<LimitUsage> {
  const reading = await counters.read(counterScope(rule), PERIOD_MS[rule.period]);
  const found: LimitCounter[] = [];
  for (const { key, count } of reading.counters) {
    const group = parseCounterGroup(rule, key);
    if (group === undefined) continue;
    // A rule lowered within its window may have counted past its new limit.
    found.push({ group, used: count, remaining: Math.max(0, rule.limit - count) });
  }
  if (rule.groupBy.length === 0 && found.length === 0)
    found.push({ group: {}, used: 0, remaining: rule.limit });
  found.sort((a, b) => b.used - a.used);
  return {
    rule,
    windowStart: new Date(reading.windowStart),
    resetsAt: new Date(reading.windowEnd),
    counters: found,
  };
}
