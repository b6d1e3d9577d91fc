/**
 * The gateway as an OAuth client of its upstreams: client registrations at
 * upstream authorization servers, connections (sealed tokens per workspace,
 * server and owner), authorizations in flight between the redirect and the
 * callback, and leases that keep one refresh per connection across instances.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';

export function upstreamConnectionsSchema(codec: DialectCodec): Migration {
  const ts = codec.timestampType;
  return {
    async up(db: Kysely<unknown>) {
      // Keyed by issuer and redirect URI: a registration is only valid at the
      // AS that issued it (SEP-2352), and a new public URL needs a new one.
      await db.schema
        .createTable('upstream_oauth_clients')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('client_secret', 'text')
        .addColumn('client_secret_expires_at', ts)
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('token_endpoint_auth_method', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('upstream_oauth_clients_pk', ['issuer', 'redirect_uri'])
        .execute();

      // owner_id: the member's user id (per_user), or '' for the workspace
      // (shared, client_credentials); user_id repeats it so a removed user's
      // connections go with them.
      await db.schema
        .createTable('upstream_connections')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('server_id', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('access_token', 'text', (c) => c.notNull())
        .addColumn('refresh_token', 'text')
        .addColumn('token_type', 'text', (c) => c.notNull())
        .addColumn('expires_at', ts)
        .addColumn('scope', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('broken_reason', 'text')
        .addColumn('connected_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('upstream_connections_pk', [
          'workspace_id',
          'server_id',
          'owner_id',
        ])
        .addForeignKeyConstraint(
          'upstream_connections_server_fk',
          ['workspace_id', 'server_id'],
          'servers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('upstream_connections_user_idx')
        .on('upstream_connections')
        .column('user_id')
        .execute();

      // The state is a bearer secret until the callback: stored as a hash.
      await db.schema
        .createTable('upstream_authorizations')
        .addColumn('state_hash', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('server_id', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('pending', 'text', (c) => c.notNull())
        .addColumn('return_url', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addForeignKeyConstraint(
          'upstream_authorizations_server_fk',
          ['workspace_id', 'server_id'],
          'servers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('upstream_authorizations_expires_idx')
        .on('upstream_authorizations')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('leases')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .execute();
    },
  };
}
