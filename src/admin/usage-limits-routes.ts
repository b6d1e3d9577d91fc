/**
 * Usage-limit rules of a workspace, addressed by name (as in the declarative
 * `limits:` list). Every member reads them (they explain refusals); admins
 * and owners change them. A change applies on every instance within the
 * rules cache's second (src/policy/usage-limits.ts).
 */
import { z } from 'zod';
import {
  usageLimitInput,
  usageLimitRuleSchema,
  usageLimitView,
} from '../policy/usage-limits-schema.ts';
import { GatewayError } from '../shared/errors.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute, invalidInput } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { accessWorkspace, requireThat } from './workspace-access.ts';
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

export function createUsageLimitsRoutes(deps: AdminDeps): ApiRoute[] {
  const { store } = deps;
  const notFound = (name: string) =>
    new GatewayError('not_found', `No usage limit "${name}" in this workspace.`);
  return [
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
