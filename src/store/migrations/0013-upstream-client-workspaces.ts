/**
 * client_credentials registrations at upstream authorization servers become
 * one per workspace: the client is the upstream principal (RFC 6749 §4.4),
 * and the one client every workspace shared made them one principal. Such a
 * registration now names its workspace and goes with it (a workspace created
 * later under the same id never inherits it).
 *
 * The shared registration is dropped, and with it the workspace tokens the
 * client_credentials servers got from it: the next call gets a token from
 * its workspace's own client (no one has to reconnect: the grant needs no
 * account). Authorization code registrations stay shared.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';

/** The row key of the registration once shared by every workspace. */
export const SHARED_CLIENT_CREDENTIALS_KEY = 'urn:portcullis:client_credentials';

interface ServerAuthRow {
  workspace_id: string;
  id: string;
  upstream_auth: unknown;
}

function usesClientCredentials(codec: DialectCodec, row: ServerAuthRow): boolean {
  const auth = codec.fromJson(row.upstream_auth) as { mode?: string; oauth?: { grant?: string } };
  return auth.mode === 'oauth' && auth.oauth?.grant === 'client_credentials';
}

export function upstreamClientWorkspaces(codec: DialectCodec): Migration {
  return {
    async up(untyped: Kysely<unknown>) {
      await untyped.schema
        .alterTable('upstream_oauth_clients')
        .addColumn('workspace_id', 'text', (c) => c.references('workspaces.id').onDelete('cascade'))
        .execute();
      const db = untyped as Kysely<{
        upstream_oauth_clients: { redirect_uri: string };
        servers: ServerAuthRow;
        upstream_connections: { workspace_id: string; server_id: string; owner_id: string };
      }>;
      await db
        .deleteFrom('upstream_oauth_clients')
        .where('redirect_uri', '=', SHARED_CLIENT_CREDENTIALS_KEY)
        .execute();
      const servers = await db
        .selectFrom('servers')
        .select(['workspace_id', 'id', 'upstream_auth'])
        .execute();
      for (const server of servers.filter((row) => usesClientCredentials(codec, row)))
        await db
          .deleteFrom('upstream_connections')
          .where('workspace_id', '=', server.workspace_id)
          .where('server_id', '=', server.id)
          .where('owner_id', '=', '')
          .execute();
    },
  };
}
