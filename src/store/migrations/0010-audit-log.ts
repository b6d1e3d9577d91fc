/**
 * The tamper-evident audit log (src/audit): append-only entries chained by
 * hash, and a one-row head every append locks, so concurrent appends on
 * several instances take turns and never fork the chain. The head also
 * records the last entry, which is how removing entries at the end shows.
 *
 * `workspace_id` has no foreign key: the history outlives the workspace.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';
import { AUDIT_GENESIS_HASH } from '../model.ts';

export function auditLog(codec: DialectCodec): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('time', codec.timestampType, (c) => c.notNull())
        .addColumn('actor_kind', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_email', 'text')
        .addColumn('api_key_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('workspace_id', 'text')
        .addColumn('before_json', 'text')
        .addColumn('after_json', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('audit_log_workspace_idx')
        .on('audit_log')
        .columns(['workspace_id', 'seq'])
        .execute();
      await db.schema.createIndex('audit_log_time_idx').on('audit_log').column('time').execute();

      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await sql`insert into audit_head (id, seq, hash) values (1, 0, ${AUDIT_GENESIS_HASH})`.execute(
        db,
      );
    },
  };
}
