/**
 * Usage limits as an interceptor: each client request that matches a rule of
 * its workspace consumes one unit of that rule's counter (per group); a
 * request over a limit is answered by the gateway with `rate_limited` and
 * `data.retryAfterSeconds`, and never reaches the upstream.
 *
 * Rules are read from the store and cached per workspace for a second, so a
 * change applies to the next requests on every instance within that time.
 * A request matching several rules consumes from each in rule-name order and
 * stops at the first refusal (units taken from the earlier rules stay taken:
 * the port is atomic per counter, not across counters).
 */
import type { Principal } from '../auth/resource/principal.ts';
import type {
  Interceptor,
  InterceptorSource,
  RequestVerdict,
} from '../mcp/intercept/interceptor.ts';
import type { JsonRpcRequest } from '../mcp/json-rpc.ts';
import { gatewayErrorResponse } from '../mcp/reply.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition, UsageLimitRule, UsagePeriod } from '../store/model.ts';
import type { Store } from '../store/store.ts';
import type { UsageCounters } from './usage-limits-counters.ts';

/** Weeks are 7-day windows aligned to the epoch: they start on Thursdays, 00:00 UTC. */
export const PERIOD_MS: Readonly<Record<UsagePeriod, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

/** Lifecycle and liveness requests are never counted: a client over its limit can still connect and ping. */
const EXEMPT_METHODS = new Set(['initialize', 'ping', 'server/discover']);

const RULES_TTL_MS = 1_000;

export function ruleMatches(
  rule: UsageLimitRule,
  serverId: string,
  method: string,
  tool: string | null,
): boolean {
  if (EXEMPT_METHODS.has(method)) return false;
  if (rule.serverId !== null && rule.serverId !== serverId) return false;
  if (rule.tool !== null && (method !== 'tools/call' || rule.tool !== tool)) return false;
  return rule.method === null || rule.method === method;
}

/** All counters of one rule (every group's): what the usage read lists together. */
export function counterScope(rule: UsageLimitRule): string {
  return `${rule.workspaceId}\u0000${rule.id}`;
}

/**
 * The counter of one rule for one caller: the rule's scope, then each group
 * asked for (usage-limits-reading.ts parses them back).
 */
export function counterKey(
  rule: UsageLimitRule,
  serverId: string,
  principal: Principal,
  tool: string | null,
): string {
  const parts = [rule.workspaceId, rule.id];
  for (const group of rule.groupBy) {
    if (group === 'server') parts.push(`s:${serverId}`);
    else if (group === 'tool') parts.push(`t:${tool ?? ''}`);
    else if (group === 'member') parts.push(`m:${principal.userId}`);
    // An OAuth caller has no API key: its credential is the (user, client) pair.
    else parts.push(principal.apiKeyId === null ? `c:${principal.id}` : `k:${principal.apiKeyId}`);
  }
  return parts.join('\u0000');
}

function toolOf(message: JsonRpcRequest): string | null {
  const name = message.params?.name;
  return message.method === 'tools/call' && typeof name === 'string' ? name : null;
}

export interface UsageLimitRefusal {
  readonly rule: UsageLimitRule;
  readonly retryAfterMs: number;
}

/**
 * Consumes one unit from every matching rule; the first refusal, or undefined
 * when allowed. Synchronous while the counters answer at once (the memory
 * adapter does): no promise per request on the hot path.
 */
export function consumeUsage(
  rules: readonly UsageLimitRule[],
  counters: UsageCounters,
  server: ServerDefinition,
  principal: Principal,
  message: JsonRpcRequest,
): UsageLimitRefusal | undefined | Promise<UsageLimitRefusal | undefined> {
  const tool = toolOf(message);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (!ruleMatches(rule, server.id, message.method, tool)) continue;
    const key = counterKey(rule, server.id, principal, tool);
    const consumed = counters.consume(key, PERIOD_MS[rule.period], rule.limit, counterScope(rule));
    if (consumed instanceof Promise)
      return consumed.then((result) =>
        result.allowed
          ? consumeUsage(rules.slice(i + 1), counters, server, principal, message)
          : { rule, retryAfterMs: result.retryAfterMs },
      );
    if (!consumed.allowed) return { rule, retryAfterMs: consumed.retryAfterMs };
  }
  return undefined;
}

export function rateLimitedError(refusal: UsageLimitRefusal): GatewayError {
  const { rule } = refusal;
  const retryAfterSeconds = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  return new GatewayError(
    'rate_limited',
    `Usage limit "${rule.name}" reached: ${rule.limit} requests per ${rule.period}. Retry in ${retryAfterSeconds} s.`,
    { data: { retryAfterSeconds, limit: rule.name } },
  );
}

export interface UsageLimitsDeps {
  readonly store: Pick<Store, 'usageLimits'>;
  readonly counters: UsageCounters;
  readonly now?: () => number;
}

export interface UsageLimits extends InterceptorSource {
  /** Forgets cached rules (this instance applies a change at once). */
  clear(): void;
}

export function createUsageLimits(deps: UsageLimitsDeps): UsageLimits {
  const now = deps.now ?? Date.now;
  interface Entry {
    readonly rules: readonly UsageLimitRule[];
    readonly at: number;
    /** Per server: the rules that may match it (most servers have none, and pay a lookup). */
    readonly byServer: Map<string, readonly UsageLimitRule[]>;
  }
  const cache = new Map<string, Entry>();

  // One store read per workspace at a time, however many requests find the entry stale.
  const reading = new Map<string, Promise<Entry>>();

  const entryOf = (workspaceId: string): Entry | Promise<Entry> => {
    const cached = cache.get(workspaceId);
    if (cached !== undefined && now() - cached.at < RULES_TTL_MS) return cached;
    let read = reading.get(workspaceId);
    if (read === undefined) {
      read = deps.store.usageLimits
        .list(workspaceId)
        .then((rules) => {
          const entry: Entry = { rules, at: now(), byServer: new Map() };
          cache.set(workspaceId, entry);
          return entry;
        })
        .finally(() => reading.delete(workspaceId));
      reading.set(workspaceId, read);
    }
    return read;
  };

  const none: readonly Interceptor[] = [];

  const verdict = (
    message: JsonRpcRequest,
    refusal: UsageLimitRefusal | undefined,
  ): RequestVerdict =>
    refusal === undefined
      ? { kind: 'forward', message }
      : { kind: 'answer', message: gatewayErrorResponse(message.id, rateLimitedError(refusal)) };

  // Synchronous while the workspace's rules are cached: no promise on the hot path.
  const forEntry = (
    entry: Entry,
    server: ServerDefinition,
    principal: Principal,
  ): readonly Interceptor[] => {
    let rules = entry.byServer.get(server.id);
    if (rules === undefined) {
      rules = entry.rules.filter((rule) => rule.serverId === null || rule.serverId === server.id);
      entry.byServer.set(server.id, rules);
    }
    if (rules.length === 0) return none;
    const matching = rules;
    const interceptor: Interceptor = {
      name: 'usage-limits',
      onRequest(message) {
        const refusal = consumeUsage(matching, deps.counters, server, principal, message);
        return refusal instanceof Promise
          ? refusal.then((found) => verdict(message, found))
          : verdict(message, refusal);
      },
    };
    return [interceptor];
  };

  return {
    interceptorsFor(server, principal) {
      const entry = entryOf(server.workspaceId);
      return entry instanceof Promise
        ? entry.then((found) => forEntry(found, server, principal))
        : forEntry(entry, server, principal);
    },
    clear() {
      cache.clear();
    },
  };
}
