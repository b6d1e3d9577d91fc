/**
 * The usage-limits page's form: a rule as text fields, checked with the
 * gateway's own rules for names, methods and limits
 * (src/policy/usage-limits-schema.ts), and the body PUT …/usage-limits/:name takes.
 */
import type { ApiBody, ApiResult } from '../api/client.ts';

type RulePath = '/api/v1/workspaces/{workspaceId}/usage-limits/{name}';
export type UsageLimitRule = ApiResult<RulePath, 'get'>;
export type UsageLimitBody = ApiBody<RulePath, 'put'>;
export type UsagePeriod = UsageLimitRule['period'];
export type UsageGroup = UsageLimitRule['group_by'][number];

export const USAGE_PERIODS: readonly UsagePeriod[] = ['minute', 'hour', 'day', 'week'];
export const USAGE_GROUPS: readonly UsageGroup[] = ['member', 'api_key', 'server', 'tool'];

export interface UsageLimitForm {
  name: string;
  server: string;
  tool: string;
  method: string;
  group_by: UsageGroup[];
  period: UsagePeriod;
  limit: string;
}

export function usageLimitForm(rule?: UsageLimitRule, server?: string): UsageLimitForm {
  return {
    name: rule?.name ?? '',
    server: rule?.server ?? server ?? '',
    tool: rule?.tool ?? '',
    method: rule?.method ?? '',
    group_by: [...(rule?.group_by ?? ['member'])],
    period: rule?.period ?? 'minute',
    limit: rule?.limit.toString() ?? '',
  };
}

export function parseUsageLimitForm(
  form: UsageLimitForm,
): { name: string; body: UsageLimitBody } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const name = form.name.trim();
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name))
    errors.name =
      'Lower-case letters, digits, ".", "_" or "-", up to 63, starting with a letter or digit.';
  const method = form.method.trim();
  if (method !== '' && !/^[a-z][A-Za-z/_]*$/.test(method))
    errors.method = 'A JSON-RPC method such as tools/call, or blank for every method.';
  const raw = form.limit.trim();
  const limit = Number(raw);
  if (!/^\d+$/.test(raw) || limit > 1_000_000_000)
    errors.limit = 'A whole number from 0 to 1,000,000,000.';
  if (Object.keys(errors).length > 0) return { errors };
  const server = form.server.trim();
  const tool = form.tool.trim();
  return {
    name,
    body: {
      ...(server === '' ? {} : { server }),
      ...(tool === '' ? {} : { tool }),
      ...(method === '' ? {} : { method }),
      group_by: USAGE_GROUPS.filter((group) => form.group_by.includes(group)),
      period: form.period,
      limit,
    },
  };
}

/** "60 per minute per member, tools/call of search on wiki" — the rule in words. */
export function describeRule(rule: UsageLimitRule | (UsageLimitBody & { name?: string })): string {
  const groups = rule.group_by ?? [];
  const per =
    groups.length === 0
      ? 'for the whole workspace'
      : `per ${groups.join(' and ').replace('api_key', 'API key')}`;
  const what = [
    rule.method ?? (rule.tool !== undefined ? 'tools/call' : 'every request'),
    rule.tool === undefined ? undefined : `of ${rule.tool}`,
    rule.server === undefined ? 'on every server' : `on ${rule.server}`,
  ]
    .filter((part) => part !== undefined)
    .join(' ');
  return `${rule.limit.toLocaleString('en')} per ${rule.period} ${per}: ${what}`;
}
