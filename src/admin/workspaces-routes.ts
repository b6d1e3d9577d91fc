/** Workspaces and the servers a caller may reach in them. */
import { z } from 'zod';
import { GatewayError } from '../shared/errors.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { serverView, showServer, showWorkspace, workspaceView } from './api-views.ts';
import { accessWorkspace, instanceActor, mayReach, requireThat } from './workspace-access.ts';

/** Workspace ids appear in every MCP endpoint URL: one path segment, lower-case. */
export const workspaceIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, at most 63');
export const workspaceParams = z.strictObject({ workspaceId: z.string().min(1).max(200) });
const workspaceName = z.string().trim().min(1).max(200);

export function createWorkspacesRoutes(deps: AdminDeps): ApiRoute[] {
  const { store, config } = deps;
  return [
    defineRoute({
      method: 'GET',
      path: '/workspaces',
      tag: 'workspaces',
      summary: 'The workspaces you belong to (every workspace for instance administrators)',
      response: z.array(workspaceView),
      async handle({ caller }) {
        const members = await store.members.listForUser(caller.user.id);
        const roles = new Map(members.map((member) => [member.workspaceId, member.role]));
        return (await store.workspaces.list())
          .filter((workspace) =>
            caller.via === 'api_key'
              ? workspace.id === caller.apiKey.workspaceId
              : caller.user.isAdmin || roles.has(workspace.id),
          )
          .map((workspace) => showWorkspace(workspace, roles.get(workspace.id) ?? null));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/workspaces',
      tag: 'workspaces',
      summary: 'Create a workspace; you become its owner (instance administrators)',
      body: z.strictObject({ id: workspaceIdSchema, name: workspaceName }),
      status: 201,
      response: workspaceView,
      async handle({ caller, body }) {
        requireThat(instanceActor(caller), 'workspace.create');
        const workspace = await store.transaction(async (tx) => {
          if ((await tx.workspaces.find(body.id)) !== undefined)
            throw new GatewayError('conflict', `Workspace "${body.id}" already exists.`);
          const created = await tx.workspaces.upsert(body);
          await tx.members.upsert({
            workspaceId: created.id,
            userId: caller.user.id,
            role: 'owner',
            serverIds: null,
          });
          return created;
        });
        await deps.onCredentialsChanged();
        return showWorkspace(workspace, 'owner');
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId',
      tag: 'workspaces',
      summary: 'One workspace',
      params: workspaceParams,
      response: workspaceView,
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'workspace.read');
        return showWorkspace(access.workspace, access.member?.role ?? null);
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/workspaces/:workspaceId',
      tag: 'workspaces',
      summary: 'Rename a workspace (admins and owners)',
      params: workspaceParams,
      body: z.strictObject({ name: workspaceName }),
      response: workspaceView,
      async handle({ caller, params, body }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'workspace.update');
        const workspace = await store.workspaces.upsert({
          id: access.workspace.id,
          name: body.name,
        });
        return showWorkspace(workspace, access.member?.role ?? null);
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/workspaces/:workspaceId',
      tag: 'workspaces',
      summary:
        'Delete a workspace with its members, servers, API keys and invitations (owners); its request records stay',
      params: workspaceParams,
      status: 204,
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'workspace.delete');
        await store.workspaces.remove(access.workspace.id);
        await deps.onCredentialsChanged();
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/servers',
      tag: 'workspaces',
      summary: 'The servers of a workspace you may reach, with their MCP endpoints',
      params: workspaceParams,
      response: z.array(serverView),
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'server.read');
        return (await store.servers.list(access.workspace.id))
          .filter((server) => mayReach(access, server.id))
          .map((server) => showServer(server, config.publicUrl));
      },
    }),
  ];
}
