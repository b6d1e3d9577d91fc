/**
 * `portcullis rotate-key` for upstream OAuth: admin-provided client secrets
 * (in server definitions), the client secrets the gateway registered at
 * upstream authorization servers, and every connection's tokens. Upstream
 * authorizations in flight are not re-sealed: they live ten minutes.
 */
import type { ResealContext, ResealTally, SecretResealer } from './reseal-secrets.ts';
import {
  ACCESS_TOKEN_PURPOSE,
  REFRESH_TOKEN_PURPOSE,
  REGISTRATION_SECRET_PURPOSE,
} from './connections-context.ts';
import { OAUTH_CLIENT_SECRET_PURPOSE } from './upstream-auth-secrets.ts';

/** reseal-secrets.ts's own steps, passed in (it lists these resealers: no import cycle). */
export interface ResealSteps {
  readonly tally: (kind: string) => ResealTally;
  readonly resealValue: (
    context: ResealContext,
    purpose: string,
    value: string,
    where: string,
    counts: ResealTally,
  ) => string;
}

export function upstreamOAuthResealers({ tally, resealValue }: ResealSteps): SecretResealer[] {
  const serverClientSecrets: SecretResealer = {
    kind: 'upstream OAuth client secrets',
    async run(store, context, write) {
      const counts = tally(this.kind);
      for (const server of await store.servers.list()) {
        const auth = server.upstreamAuth;
        if (auth.mode !== 'oauth' || auth.oauth.clientSecret === null) continue;
        const where = `server ${server.workspaceId}/${server.id} upstream OAuth client secret`;
        const next = resealValue(
          context,
          OAUTH_CLIENT_SECRET_PURPOSE,
          auth.oauth.clientSecret,
          where,
          counts,
        );
        if (next !== auth.oauth.clientSecret && write)
          await store.servers.updateSecrets(server.workspaceId, server.id, {
            upstreamAuth: { ...auth, oauth: { ...auth.oauth, clientSecret: next } },
          });
      }
      return counts;
    },
  };

  const registrations: SecretResealer = {
    kind: 'upstream OAuth registrations',
    async run(store, context, write) {
      const counts = tally(this.kind);
      for (const client of await store.upstreamClients.list()) {
        if (client.clientSecret === null) continue;
        const where = `upstream client ${client.clientId} at ${client.issuer}`;
        const next = resealValue(
          context,
          REGISTRATION_SECRET_PURPOSE,
          client.clientSecret,
          where,
          counts,
        );
        if (next !== client.clientSecret && write)
          await store.upstreamClients.save({ ...client, clientSecret: next });
      }
      return counts;
    },
  };

  const connectionTokens: SecretResealer = {
    kind: 'upstream OAuth tokens',
    async run(store, context, write) {
      const counts = tally(this.kind);
      for (const workspace of await store.workspaces.list()) {
        for (const connection of await store.upstreamConnections.list(workspace.id)) {
          const where = `upstream connection ${connection.workspaceId}/${connection.serverId} (${connection.ownerId || 'workspace'})`;
          const accessToken = resealValue(
            context,
            ACCESS_TOKEN_PURPOSE,
            connection.accessToken,
            where,
            counts,
          );
          const refreshToken =
            connection.refreshToken === null
              ? null
              : resealValue(context, REFRESH_TOKEN_PURPOSE, connection.refreshToken, where, counts);
          const changed =
            accessToken !== connection.accessToken || refreshToken !== connection.refreshToken;
          if (changed && write)
            await store.upstreamConnections.reseal(
              connection.workspaceId,
              connection.serverId,
              connection.ownerId,
              { accessToken, refreshToken },
            );
        }
      }
      return counts;
    },
  };

  return [serverClientSecrets, registrations, connectionTokens];
}
