/**
 * Usage-limit rules per workspace (counters live behind the UsageCounters
 * port, never in the database: they change on every request).
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';

export function usageLimitsSchema(codec: DialectCodec): Migration {
  const ts = codec.timestampType;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('usage_limits')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) =>
          c.notNull().references('workspaces.id').onDelete('cascade'),
        )
        .addColumn('name', 'text', (c) => c.notNull())
        // Matching is by id and name, not by reference: a rule may name a server declared later.
        .addColumn('server_id', 'text')
        .addColumn('tool', 'text')
        .addColumn('method', 'text')
        .addColumn('group_by', codec.jsonType, (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('limit_count', 'bigint', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addUniqueConstraint('usage_limits_workspace_name_key', ['workspace_id', 'name'])
        .execute();
    },
  };
}
