/**
 * Server policy documents (every version kept: the newest applies, the rest
 * are history) and tool pins (the approved and the last seen definition of
 * each tool, per server). Both go with their server.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';

export function serverPoliciesSchema(codec: DialectCodec): Migration {
  const ts = codec.timestampType;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('server_policies')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('server_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('document', codec.jsonType, (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('server_policies_pk', ['workspace_id', 'server_id', 'version'])
        .addForeignKeyConstraint(
          'server_policies_server_fk',
          ['workspace_id', 'server_id'],
          'servers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();

      await db.schema
        .createTable('tool_pins')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('server_id', 'text', (c) => c.notNull())
        .addColumn('tool', 'text', (c) => c.notNull())
        .addColumn('approved_hash', 'text')
        .addColumn('approved_definition', codec.jsonType)
        .addColumn('approved_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('approved_at', ts)
        .addColumn('seen_hash', 'text')
        .addColumn('seen_definition', codec.jsonType)
        .addColumn('seen_at', ts)
        .addColumn('blocked', codec.booleanType, (c) => c.notNull())
        .addPrimaryKeyConstraint('tool_pins_pk', ['workspace_id', 'server_id', 'tool'])
        .addForeignKeyConstraint(
          'tool_pins_server_fk',
          ['workspace_id', 'server_id'],
          'servers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
    },
  };
}
