/**
 * The first schema. Migrations are append-only: never edit one that has
 * shipped; add the next file and list it in migration-provider.ts.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';

export function initialSchema(codec: DialectCodec): Migration {
  const ts = codec.timestampType;
  const json = codec.jsonType;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_key', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('workspaces')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('members')
        .addColumn('workspace_id', 'text', (c) =>
          c.notNull().references('workspaces.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('members_pk', ['workspace_id', 'user_id'])
        .execute();
      await db.schema.createIndex('members_user_idx').on('members').column('user_id').execute();

      await db.schema
        .createTable('servers')
        .addColumn('workspace_id', 'text', (c) =>
          c.notNull().references('workspaces.id').onDelete('cascade'),
        )
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('transport', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('command', 'text')
        .addColumn('args', json, (c) => c.notNull())
        .addColumn('env', json, (c) => c.notNull())
        .addColumn('timeout_ms', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('servers_pk', ['workspace_id', 'id'])
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('workspace_id', 'text', (c) =>
          c.notNull().references('workspaces.id').onDelete('cascade'),
        )
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('server_ids', json)
        .addColumn('expires_at', ts)
        .addColumn('revoked_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addUniqueConstraint('api_keys_workspace_name_unique', ['workspace_id', 'name'])
        .execute();
      await db.schema.createIndex('api_keys_user_idx').on('api_keys').column('user_id').execute();

      // A log: no foreign keys, so records outlive the servers and keys they name
      // and inserts stay cheap.
      await db.schema
        .createTable('request_records')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('time', ts, (c) => c.notNull())
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('server_id', 'text', (c) => c.notNull())
        .addColumn('principal_kind', 'text', (c) => c.notNull())
        .addColumn('principal_id', 'text')
        .addColumn('api_key_id', 'text')
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('era', 'text', (c) => c.notNull())
        .addColumn('protocol_version', 'text')
        .addColumn('session_tag', 'text')
        .addColumn('latency_ms', 'double precision', (c) => c.notNull())
        .addColumn('upstream_latency_ms', 'double precision')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('http_status', 'integer', (c) => c.notNull())
        .addColumn('error_code', 'integer')
        .addColumn('error_message', 'text')
        .addColumn('bytes_in', 'bigint', (c) => c.notNull())
        .addColumn('bytes_out', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('request_records_time_idx')
        .on('request_records')
        .column('time')
        .execute();
      await db.schema
        .createIndex('request_records_workspace_server_time_idx')
        .on('request_records')
        .columns(['workspace_id', 'server_id', 'time'])
        .execute();
    },
  };
}
