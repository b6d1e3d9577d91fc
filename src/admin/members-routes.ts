/**
 * Members of a workspace, their roles and their server access. A workspace
 * always keeps at least one owner.
 */
import { z } from 'zod';
import { withdrawFromAccountGrants } from '../auth/server/grant-resources.ts';
import { GatewayError } from '../shared/errors.ts';
import type { Role } from '../store/model.ts';
import type { Store } from '../store/store.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute, invalidInput } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { memberView, roleSchema, serverAccessSchema, showMember } from './api-views.ts';
import { accessWorkspace, requireThat } from './workspace-access.ts';

const memberParams = z.strictObject({
  workspaceId: z.string().min(1).max(200),
  userId: z.string().min(1).max(200),
});
const serverIdList = z.array(z.string().min(1).max(200)).max(1000);

/** Refuses server ids the workspace does not have, naming the field like schema errors do. */
export async function checkServersExist(
  store: Store,
  workspaceId: string,
  serverIds: readonly string[] | null | undefined,
  field: string,
): Promise<void> {
  if (serverIds === null || serverIds === undefined) return;
  const known = new Set((await store.servers.list(workspaceId)).map((server) => server.id));
  const issues = serverIds.flatMap((id, index) =>
    known.has(id)
      ? []
      : [{ path: `${field}.${index}`, message: `No server "${id}" in this workspace` }],
  );
  if (issues.length > 0) throw invalidInput(issues);
}

async function refuseLastOwner(tx: Store, workspaceId: string, leaving: Role): Promise<void> {
  if (leaving !== 'owner') return;
  const owners = (await tx.members.list(workspaceId)).filter((member) => member.role === 'owner');
  if (owners.length <= 1)
    throw new GatewayError('conflict', 'The workspace must keep at least one owner.');
}

export function createMembersRoutes(deps: AdminDeps): ApiRoute[] {
  const { store } = deps;
  return [
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/members',
      tag: 'members',
      summary: 'Members of a workspace with their roles and server access',
      params: z.strictObject({ workspaceId: z.string().min(1).max(200) }),
      response: z.array(memberView),
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'member.read');
        const users = new Map((await store.users.list()).map((user) => [user.id, user]));
        return (await store.members.list(access.workspace.id)).map((member) =>
          showMember(member, users.get(member.userId)),
        );
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/workspaces/:workspaceId/members/:userId',
      tag: 'members',
      summary: "Add a user to the workspace or change a member's role and server access",
      params: memberParams,
      body: z.strictObject({
        role: roleSchema,
        servers: serverIdList.nullable().describe(serverAccessSchema.description ?? ''),
      }),
      response: memberView,
      async handle({ caller, params, body }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        const workspaceId = access.workspace.id;
        const existing = await store.members.find(workspaceId, params.userId);
        requireThat(access.actor, 'member.manage', { role: existing?.role ?? body.role });
        requireThat(access.actor, 'member.manage', { role: body.role });
        const user = await store.users.find(params.userId);
        if (user === undefined) throw new GatewayError('not_found', 'No such user.');
        await checkServersExist(store, workspaceId, body.servers, 'body.servers');
        const member = await store.transaction(async (tx) => {
          const current = await tx.members.find(workspaceId, user.id);
          if (current !== undefined && body.role !== 'owner')
            await refuseLastOwner(tx, workspaceId, current.role);
          return tx.members.upsert({
            workspaceId,
            userId: user.id,
            role: body.role,
            serverIds: body.servers,
          });
        });
        await deps.onCredentialsChanged();
        return showMember(member, user);
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/workspaces/:workspaceId/members/:userId',
      tag: 'members',
      summary:
        "Remove a member (or leave yourself); their API keys here are revoked and their apps lose this workspace's servers",
      params: memberParams,
      status: 204,
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        const workspaceId = access.workspace.id;
        const existing = await store.members.find(workspaceId, params.userId);
        if (existing === undefined) {
          requireThat(access.actor, 'member.manage');
          throw new GatewayError('not_found', 'No such member.');
        }
        if (existing.userId !== caller.user.id)
          requireThat(access.actor, 'member.manage', { role: existing.role });
        const at = (deps.now ?? (() => new Date()))();
        const base = `${deps.config.publicUrl}/${workspaceId}/`;
        const withdrawn = await store.transaction(async (tx) => {
          const current = await tx.members.find(workspaceId, existing.userId);
          if (current === undefined) return [];
          await refuseLastOwner(tx, workspaceId, current.role);
          await tx.members.remove(workspaceId, existing.userId);
          for (const key of await tx.apiKeys.list(workspaceId))
            if (key.userId === existing.userId && key.revokedAt === null)
              await tx.apiKeys.revoke(key.id, at);
          // As revoking their apps here would (authorized-apps-routes.ts): being added back later
          // must not revive refresh tokens or consent given before the removal.
          const changed = await withdrawFromAccountGrants(
            tx,
            existing.userId,
            (resource) => resource.startsWith(base),
            at,
          );
          // A grant destroyed whole is recorded by the watched store; a narrowed one here.
          for (const { before, withdrawal } of changed)
            if (withdrawal.kind === 'narrowed')
              await deps.audit.record(
                {
                  action: 'authorized_app.revoke',
                  target: { type: 'grant', id: before.id, workspaceId },
                  before,
                  after: withdrawal.grant,
                },
                tx,
              );
          return changed;
        });
        // Cached access tokens of these grants are checked again on every instance.
        for (const { before } of withdrawn) deps.onGrantRevoked?.(before.id);
        await deps.onCredentialsChanged();
      },
    }),
  ];
}
