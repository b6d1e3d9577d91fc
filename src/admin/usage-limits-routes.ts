/**
 * Usage-limit rules of a workspace, addressed by name (as in the declarative
 * `limits:` list). Every member reads them (they explain refusals); admins
 * and owners change them. A change applies on every instance within the
 * rules cache's second (src/policy/usage-limits.ts).
 *
 * Their current counts (…/usage) come from the counters enforcement consumes,
 * so they agree across instances when those live in Redis; reading takes
 * nothing. Who sees which member's counts: usage-limit-usage-view.ts.
 */
import { z } from 'zod';
import { readLimitUsage } from '../policy/usage-limits-reading.ts';
import {
  usageLimitInput,
  usageLimitRuleSchema,
  usageLimitView,
} from '../policy/usage-limits-schema.ts';
import { GatewayError } from '../shared/errors.ts';
import type { UsageLimitRule } from '../store/model.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute, invalidInput } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import type { ApiCaller } from './authenticate-api-caller.ts';
import { can } from './roles.ts';
import { limitUsageView, limitUsageViews } from './usage-limit-usage-view.ts';
import { accessWorkspace, requireThat } from './workspace-access.ts';
import type { WorkspaceAccess } from './workspace-access.ts';
import { workspaceParams } from './workspaces-routes.ts';

const ruleParams = z.strictObject({
  workspaceId: z.string().min(1).max(200),
  name: usageLimitRuleSchema.shape.name,
});

const ruleBody = usageLimitRuleSchema.omit({ name: true });

const ruleView = usageLimitRuleSchema.extend({
  id: z.string(),
  workspace: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

const usageQuery = z.strictObject({
  member: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("A member's user id: only their counters (and those everybody shares)"),
});

export function createUsageLimitsRoutes(deps: AdminDeps): ApiRoute[] {
  const { store } = deps;
  const notFound = (name: string) =>
    new GatewayError('not_found', `No usage limit "${name}" in this workspace.`);

  /** Checks the caller may read these counts, then reads and names them. */
  const usageOf = async (
    caller: ApiCaller,
    access: WorkspaceAccess,
    rules: readonly UsageLimitRule[],
    member: string | undefined,
  ) => {
    const seesEveryone = can(access.actor, 'record.read', { isOwn: false });
    if (member !== undefined && member !== caller.user.id) {
      if (!seesEveryone)
        throw new GatewayError('forbidden', "Your role does not allow reading others' usage.");
      if ((await store.members.find(access.workspace.id, member)) === undefined)
        throw new GatewayError('not_found', `No member "${member}" in this workspace.`);
    }
    const counters = deps.usageCounters;
    if (counters === undefined)
      throw new GatewayError(
        'unavailable',
        'This gateway cannot read usage counters from the API.',
      );
    const usages = await Promise.all(rules.map((rule) => readLimitUsage(rule, counters)));
    return limitUsageViews(store, access.workspace.id, usages, {
      seesEveryone,
      userId: caller.user.id,
      member,
    });
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/usage',
      tag: 'usage-limits',
      summary: 'Current usage of every usage limit: used and remaining per counter, and the reset',
      params: workspaceParams,
      query: usageQuery,
      response: z.array(limitUsageView),
      async handle({ caller, params, query }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'workspace.read');
        const rules = await store.usageLimits.list(access.workspace.id);
        return usageOf(caller, access, rules, query.member);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/usage-limits/:name/usage',
      tag: 'usage-limits',
      summary: 'Current usage of one usage limit',
      params: ruleParams,
      query: usageQuery,
      response: limitUsageView,
      async handle({ caller, params, query }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'workspace.read');
        const rule = await store.usageLimits.find(access.workspace.id, params.name);
        if (rule === undefined) throw notFound(params.name);
        const [view] = await usageOf(caller, access, [rule], query.member);
        return view;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/usage-limits',
      tag: 'usage-limits',
      summary: 'Usage-limit rules of the workspace, by name',
      params: workspaceParams,
      response: z.array(ruleView),
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'workspace.read');
        return (await store.usageLimits.list(access.workspace.id)).map(usageLimitView);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/usage-limits/:name',
      tag: 'usage-limits',
      summary: 'One usage-limit rule',
      params: ruleParams,
      response: ruleView,
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'workspace.read');
        const rule = await store.usageLimits.find(access.workspace.id, params.name);
        if (rule === undefined) throw notFound(params.name);
        return usageLimitView(rule);
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/workspaces/:workspaceId/usage-limits/:name',
      tag: 'usage-limits',
      summary: 'Create or replace a usage-limit rule',
      params: ruleParams,
      body: ruleBody,
      response: ruleView,
      async handle({ caller, params, body }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'workspace.update');
        if (
          body.server !== undefined &&
          (await store.servers.find(access.workspace.id, body.server)) === undefined
        )
          throw invalidInput([
            { path: 'body.server', message: `No server "${body.server}" in this workspace` },
          ]);
        const rule = await store.usageLimits.upsert(
          usageLimitInput(access.workspace.id, { ...body, name: params.name }),
        );
        return usageLimitView(rule);
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/workspaces/:workspaceId/usage-limits/:name',
      tag: 'usage-limits',
      summary: 'Remove a usage-limit rule',
      params: ruleParams,
      status: 204,
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'workspace.update');
        if (!(await store.usageLimits.remove(access.workspace.id, params.name)))
          throw notFound(params.name);
      },
    }),
  ];
}
