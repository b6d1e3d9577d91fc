/**
 * Who may connect (or disconnect) an upstream account for a server: for a
 * per_user server, every member who may reach it, for themselves; for a
 * shared one, the workspace's admins and owners (and instance admins).
 */
import type { ServerDefinition, User } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import { GatewayError } from '../../shared/errors.ts';

export async function connectableServer(
  store: Store,
  user: User,
  workspaceId: string,
  serverId: string,
): Promise<ServerDefinition> {
  const [server, member] = await Promise.all([
    store.servers.find(workspaceId, serverId),
    store.members.find(workspaceId, user.id),
  ]);
  // Unknown and unreachable servers look the same.
  const reachable =
    user.isAdmin ||
    (member !== undefined && (member.serverIds === null || member.serverIds.includes(serverId)));
  if (server === undefined || !reachable)
    throw new GatewayError(
      'server_not_found',
      `No server "${serverId}" in workspace "${workspaceId}".`,
    );
  if (server.upstreamAuth.mode !== 'oauth')
    throw new GatewayError(
      'bad_request',
      `Server ${workspaceId}/${serverId} does not use upstream OAuth: there is nothing to connect.`,
    );
  const grant = server.upstreamAuth.oauth.grant;
  if (grant === 'client_credentials')
    throw new GatewayError(
      'bad_request',
      `Server ${workspaceId}/${serverId} uses the client_credentials grant: there is no account to connect.`,
    );
  const isAdmin = user.isAdmin || member?.role === 'owner' || member?.role === 'admin';
  if (grant === 'shared' && !isAdmin)
    throw new GatewayError(
      'forbidden',
      `The account of ${workspaceId}/${serverId} is shared by the workspace: only its admins connect it.`,
    );
  return server;
}
