/**
 * Upstream OAuth connections through the API. Tokens never leave the store:
 * these routes show status, scope and expiry only.
 *
 * - `GET /me/connections`: every OAuth server the caller reaches, with the
 *   state of the connection its calls use (their own for per_user servers,
 *   the workspace's for shared ones).
 * - `GET /workspaces/:id/connections`: every connection of the workspace (admins).
 * - `POST …/servers/:srv/connection`: the URL that connects it, to open in a
 *   browser signed in as the caller (per_user: the caller's own; shared: admins).
 * - `DELETE …/servers/:srv/connection`: disconnects it.
 */
import { z } from 'zod';
import { connectableServer } from '../auth/upstream-credentials/connections-access.ts';
import type { Connections } from '../auth/upstream-credentials/connections.ts';
import { safeReturnUrl } from '../auth/upstream-credentials/connections-flow.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition, UpstreamConnection } from '../store/model.ts';
import { WORKSPACE_OWNER } from '../store/model.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import type { ApiCaller } from './authenticate-api-caller.ts';
import { serverParams } from './servers-routes.ts';
import { accessWorkspace, intersectAccess, mayReach, requireThat } from './workspace-access.ts';
import { workspaceParams } from './workspaces-routes.ts';

export const connectionView = z.object({
  workspaceId: z.string(),
  serverId: z.string(),
  serverName: z.string(),
  grant: z.enum(['per_user', 'shared', 'client_credentials']),
  /** Whose connection: a user id, or null for the workspace's own. */
  ownerId: z.string().nullable(),
  status: z.enum(['connected', 'broken', 'not_connected']),
  brokenReason: z.string().nullable(),
  scope: z.string().nullable(),
  expiresAt: z.string().nullable(),
  connectedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
  connectUrl: z.string().nullable(),
});

export interface ConnectionsAdminDeps {
  readonly connections?: Pick<Connections, 'flow' | 'context'>;
}

function show(
  server: ServerDefinition,
  connection: UpstreamConnection | undefined,
  connectUrl: string | null,
): z.infer<typeof connectionView> {
  const grant = server.upstreamAuth.mode === 'oauth' ? server.upstreamAuth.oauth.grant : 'shared';
  return {
    workspaceId: server.workspaceId,
    serverId: server.id,
    serverName: server.name,
    grant,
    ownerId:
      connection === undefined || connection.ownerId === WORKSPACE_OWNER
        ? null
        : connection.ownerId,
    status: connection?.status ?? 'not_connected',
    brokenReason: connection?.brokenReason ?? null,
    scope: connection?.scope ?? null,
    expiresAt: connection?.expiresAt?.toISOString() ?? null,
    connectedBy: connection?.connectedBy ?? null,
    updatedAt: connection?.updatedAt.toISOString() ?? null,
    connectUrl: grant === 'client_credentials' ? null : connectUrl,
  };
}

export function createConnectionsRoutes(deps: AdminDeps & ConnectionsAdminDeps): ApiRoute[] {
  const { store } = deps;
  const connections = deps.connections;
  if (connections === undefined) return [];
  const { flow, context } = connections;

  /** A server the caller reaches, ready to connect (mode, grant and role checked). */
  async function connectable(caller: ApiCaller, workspaceId: string, serverId: string) {
    const access = await accessWorkspace(store, caller, workspaceId);
    requireThat(access.actor, 'server.read');
    if (!mayReach(access, serverId)) throw new GatewayError('server_not_found');
    return connectableServer(store, caller.user, access.workspace.id, serverId);
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/me/connections',
      tag: 'connections',
      summary: 'Upstream OAuth connections your calls use, per server you reach (never tokens)',
      response: z.array(connectionView),
      async handle({ caller }) {
        const members = await store.members.listForUser(caller.user.id);
        const views: z.infer<typeof connectionView>[] = [];
        for (const member of members) {
          if (caller.via === 'api_key' && caller.apiKey.workspaceId !== member.workspaceId)
            continue;
          // A key limited to some servers shows those only, as every other route does.
          const reachable = intersectAccess(
            member.serverIds,
            caller.via === 'api_key' ? caller.apiKey.serverIds : null,
          );
          for (const server of await store.servers.list(member.workspaceId)) {
            if (server.upstreamAuth.mode !== 'oauth') continue;
            if (reachable !== null && !reachable.includes(server.id)) continue;
            const ownerId = context.ownerOf(server, caller.user.id);
            const connection = await store.upstreamConnections.find(
              server.workspaceId,
              server.id,
              ownerId,
            );
            views.push(show(server, connection, context.connectUrl(server)));
          }
        }
        return views;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/connections',
      tag: 'connections',
      summary: "Every upstream OAuth connection of the workspace's servers (never tokens)",
      params: workspaceParams,
      response: z.array(connectionView),
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'server.manage');
        const servers = new Map(
          (await store.servers.list(access.workspace.id)).map((server) => [server.id, server]),
        );
        return (await store.upstreamConnections.list(access.workspace.id)).flatMap((connection) => {
          const server = servers.get(connection.serverId);
          return server === undefined ? [] : [show(server, connection, context.connectUrl(server))];
        });
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/workspaces/:workspaceId/servers/:serverId/connection',
      tag: 'connections',
      summary:
        'Start connecting the upstream account: open the returned URL in a browser signed in as you',
      params: serverParams,
      body: z
        .strictObject({
          returnTo: z
            .string()
            .max(2048)
            .refine((value) => safeReturnUrl(value) !== null, 'must be a path on this gateway')
            .optional(),
        })
        .optional(),
      response: z.object({ url: z.string() }),
      async handle({ caller, params, body }) {
        const server = await connectable(caller, params.workspaceId, params.serverId);
        return { url: await flow.start(server, caller.user.id, body?.returnTo ?? null) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/workspaces/:workspaceId/servers/:serverId/connection',
      tag: 'connections',
      summary: 'Disconnect the upstream account (yours, or the shared one for admins)',
      params: serverParams,
      status: 204,
      async handle({ caller, params }) {
        const server = await connectable(caller, params.workspaceId, params.serverId);
        const removed = await flow.disconnect(server, context.ownerOf(server, caller.user.id));
        if (!removed) throw new GatewayError('not_found', 'There is no connection to remove.');
        return undefined;
      },
    }),
  ];
}
