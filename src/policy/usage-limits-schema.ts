/**
 * The shape of a usage-limit rule as admins write it (API body and the
 * declarative `limits:` list of a workspace), snake_case like the YAML.
 */
import { z } from 'zod';
import type { UsageLimitRule } from '../store/model.ts';
import type { UsageLimitInput } from '../store/store.ts';

export const usagePeriodSchema = z.enum(['minute', 'hour', 'day', 'week']);
/** `api_key` counts per API key, and per (member, OAuth client) for signed-in callers. */
export const usageGroupSchema = z.enum(['server', 'tool', 'member', 'api_key']);

export const usageLimitRuleSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lower-case letters, digits, ".", "_" or "-", up to 63'),
  /** Counts only requests to this server (its id); absent: every server of the workspace. */
  server: z.string().min(1).optional(),
  /** Counts only calls of this tool (implies method tools/call). */
  tool: z.string().min(1).optional(),
  /** Counts only this JSON-RPC method, e.g. tools/call. */
  method: z
    .string()
    .regex(/^[a-z][A-Za-z/_]*$/, 'a JSON-RPC method such as tools/call')
    .optional(),
  group_by: z
    .array(usageGroupSchema)
    .default([])
    .refine((groups) => new Set(groups).size === groups.length, 'group_by lists a group twice'),
  period: usagePeriodSchema,
  /** Requests allowed per period and group (a quota when the period is a day or a week). */
  limit: z.number().int().min(0).max(1_000_000_000),
});

export type UsageLimitRuleInput = z.infer<typeof usageLimitRuleSchema>;

/** The rule as the store takes it (API body and config file alike). */
export function usageLimitInput(workspaceId: string, rule: UsageLimitRuleInput): UsageLimitInput {
  return {
    workspaceId,
    name: rule.name,
    serverId: rule.server ?? null,
    tool: rule.tool ?? null,
    method: rule.method ?? null,
    groupBy: rule.group_by,
    period: rule.period,
    limit: rule.limit,
  };
}

/** The rule as the API shows it. */
export function usageLimitView(rule: UsageLimitRule): UsageLimitRuleInput & {
  id: string;
  workspace: string;
  created_at: string;
  updated_at: string;
} {
  return {
    id: rule.id,
    workspace: rule.workspaceId,
    name: rule.name,
    ...(rule.serverId === null ? {} : { server: rule.serverId }),
    ...(rule.tool === null ? {} : { tool: rule.tool }),
    ...(rule.method === null ? {} : { method: rule.method }),
    group_by: [...rule.groupBy],
    period: rule.period,
    limit: rule.limit,
    created_at: rule.createdAt.toISOString(),
    updated_at: rule.updatedAt.toISOString(),
  };
}

/** A workspace's `limits:` list in the declarative config: rule names are unique. */
export const workspaceLimitsSchema = z
  .array(usageLimitRuleSchema)
  .default([])
  .superRefine((rules, context) => {
    rules.forEach((rule, index) => {
      if (rules.findIndex((other) => other.name === rule.name) !== index)
        context.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `duplicate usage limit name "${rule.name}"`,
        });
    });
  });
