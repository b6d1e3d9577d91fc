/**
 * Per-member secrets of stdio servers: a server's `member_env` maps
 * environment variable names to secret names (`{ member_secret: NAME }` in
 * the config file), and `member_secrets` holds each member's own value of
 * each name, sealed by the vault. A member's values go with the member, the
 * user and the server (cascades).
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';

export function memberSecrets(codec: DialectCodec): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('servers')
        .addColumn('member_env', codec.jsonType, (c) => c.notNull().defaultTo(sql.lit('{}')))
        .execute();
      await db.schema
        .createTable('member_secrets')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('server_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('sealed_value', 'text', (c) => c.notNull())
        .addColumn('updated_at', codec.timestampType, (c) => c.notNull())
        .addPrimaryKeyConstraint('member_secrets_pk', [
          'workspace_id',
          'server_id',
          'user_id',
          'name',
        ])
        .addForeignKeyConstraint(
          'member_secrets_server_fk',
          ['workspace_id', 'server_id'],
          'servers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .addForeignKeyConstraint(
          'member_secrets_member_fk',
          ['workspace_id', 'user_id'],
          'members',
          ['workspace_id', 'user_id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('member_secrets_member_idx')
        .on('member_secrets')
        .columns(['workspace_id', 'user_id'])
        .execute();
    },
  };
}
