/**
 * Authorized apps: the caller's OAuth grants (one per client they consented
 * to), read from the authorization server's stored Grant artefacts. Revoking
 * one destroys every token issued under it.
 *
 * Workspace admins see and revoke members' apps too, but only as far as this
 * workspace reaches: a grant also covering another workspace's servers loses
 * this workspace's resources and keeps the others (grant-resources.ts).
 */
import { z } from 'zod';
import { GatewayError } from '../shared/errors.ts';
import { grantResources, withdrawGrantResources } from '../auth/server/grant-resources.ts';
import type { OAuthArtefact } from '../store/model.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { accessWorkspace, requireThat } from './workspace-access.ts';
import { workspaceParams } from './workspaces-routes.ts';

const authorizedAppView = z.object({
  grantId: z.string(),
  clientId: z.string(),
  clientName: z
    .string()
    .describe('client_name, else the client id (a metadata document URL for CIMD clients).'),
  scopes: z.array(z.string()).describe('OpenID scopes granted (e.g. offline_access).'),
  resources: z
    .array(z.object({ resource: z.string(), scopes: z.array(z.string()) }))
    .describe('MCP server URLs granted, each with its scopes.'),
  createdAt: z.iso.datetime().nullable(),
  expiresAt: z.iso.datetime().nullable(),
});

function words(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter((word) => word !== '') : [];
}

function epochToIso(value: unknown): string | null {
  return typeof value === 'number' ? new Date(value * 1000).toISOString() : null;
}

/** oidc-provider's Grant payload: `openid.scope`, `resources: { [url]: scope }`, `iat`, `exp`. */
function showGrant(grant: OAuthArtefact, clientName: string | undefined) {
  const payload = grant.payload;
  const clientId = grant.clientId ?? (typeof payload.clientId === 'string' ? payload.clientId : '');
  const openid = payload.openid as { scope?: unknown } | undefined;
  const resources = (payload.resources ?? {}) as Record<string, unknown>;
  return {
    grantId: grant.id,
    clientId,
    clientName: clientName ?? clientId,
    scopes: words(openid?.scope),
    resources: Object.entries(resources).map(([resource, scope]) => ({
      resource,
      scopes: words(scope),
    })),
    createdAt: epochToIso(payload.iat),
    expiresAt: grant.expiresAt === null ? epochToIso(payload.exp) : grant.expiresAt.toISOString(),
  };
}

const memberAppView = authorizedAppView.extend({ userId: z.string() });

const grantParams = z.strictObject({ grantId: z.string().min(1).max(200) });

export function createAuthorizedAppsRoutes(deps: AdminDeps): ApiRoute[] {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());

  async function clientName(clientId: string | null): Promise<string | undefined> {
    if (clientId === null) return undefined;
    const client = await store.oauthArtefacts.find('Client', clientId);
    const name = client?.payload.client_name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/me/authorized-apps',
      tag: 'account',
      summary: 'The apps (OAuth clients) you granted access, with what they may reach',
      response: z.array(authorizedAppView),
      async handle({ caller }) {
        const grants = await store.oauthArtefacts.listByAccount('Grant', caller.user.id, now());
        return Promise.all(
          grants.map(async (grant) => showGrant(grant, await clientName(grant.clientId))),
        );
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/authorized-apps',
      tag: 'members',
      summary: "Members' apps that may reach this workspace's servers (admins and owners)",
      params: workspaceParams,
      response: z.array(memberAppView),
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'authorized_app.list');
        // Only this workspace's resources: a grant may also reach other workspaces.
        const base = `${config.publicUrl}/${access.workspace.id}/`;
        const apps = [];
        for (const member of await store.members.list(access.workspace.id)) {
          for (const grant of await store.oauthArtefacts.listByAccount(
            'Grant',
            member.userId,
            now(),
          )) {
            const shown = showGrant(grant, await clientName(grant.clientId));
            const resources = shown.resources.filter((entry) => entry.resource.startsWith(base));
            if (resources.length > 0) apps.push({ ...shown, resources, userId: member.userId });
          }
        }
        return apps;
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/workspaces/:workspaceId/authorized-apps/:grantId',
      tag: 'members',
      summary:
        "Revoke a member's app's access to this workspace's servers (admins and owners); its access to other workspaces stays",
      params: workspaceParams.extend(grantParams.shape),
      status: 204,
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'authorized_app.revoke');
        const workspaceId = access.workspace.id;
        const base = `${config.publicUrl}/${workspaceId}/`;
        const inWorkspace = (resource: string) => resource.startsWith(base);
        const at = now();
        const grant = await store.oauthArtefacts.find('Grant', params.grantId);
        // Grants of non-members and grants not reaching this workspace look unknown, as in the list.
        if (
          grant === undefined ||
          grant.accountId === null ||
          (grant.expiresAt !== null && grant.expiresAt <= at) ||
          !grantResources(grant).some(inWorkspace) ||
          (await store.members.find(workspaceId, grant.accountId)) === undefined
        )
          throw new GatewayError('not_found', 'No such authorized app in this workspace.');
        await store.transaction(async (tx) => {
          // The audit head first, as every audited write takes it (src/audit/README.md).
          await tx.auditLog.lock();
          // Read again inside: consent may have added a resource since.
          const current = await tx.oauthArtefacts.find('Grant', grant.id);
          if (current === undefined)
            throw new GatewayError('not_found', 'No such authorized app in this workspace.');
          const withdrawal = await withdrawGrantResources(tx, current, inWorkspace, at);
          // A grant destroyed whole is recorded by the watched store; a narrowed one here.
          if (withdrawal.kind === 'narrowed')
            await deps.audit.record(
              {
                action: 'authorized_app.revoke',
                target: { type: 'grant', id: grant.id, workspaceId },
                before: current,
                after: withdrawal.grant,
              },
              tx,
            );
        });
        // Cached tokens of the grant are checked against it again: this workspace's fail.
        deps.onGrantRevoked?.(grant.id);
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/me/authorized-apps/:grantId',
      tag: 'account',
      summary: "Revoke an app's access: its grant and every token issued under it",
      params: grantParams,
      status: 204,
      async handle({ caller, params }) {
        const grant = await store.oauthArtefacts.find('Grant', params.grantId);
        // Others' grants look unknown.
        if (grant === undefined || grant.accountId !== caller.user.id)
          throw new GatewayError('not_found', 'No such authorized app.');
        await store.transaction(async (tx) => {
          await tx.oauthArtefacts.revokeByGrantId(grant.id);
          // The Grant record itself need not carry its own id as grantId.
          await tx.oauthArtefacts.destroy('Grant', grant.id);
        });
        deps.onGrantRevoked?.(grant.id);
      },
    }),
  ];
}
