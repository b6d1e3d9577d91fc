/**
 * The request record completed (issue 7): OAuth client, client name and
 * version, captured arguments and result (redacted text, `full` capture
 * only), trace id; each server's capture settings; an index for the
 * workspace-wide, newest-first queries of the records API.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';

export function requestRecordDetails(codec: DialectCodec): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      for (const column of [
        'client_id',
        'client_name',
        'client_version',
        'arguments',
        'result',
        'trace_id',
      ]) {
        await db.schema.alterTable('request_records').addColumn(column, 'text').execute();
      }
      const metadata = JSON.stringify({ mode: 'metadata', masks: [] });
      await db.schema
        .alterTable('servers')
        .addColumn('capture', codec.jsonType, (c) => c.notNull().defaultTo(sql.lit(metadata)))
        .execute();
      await db.schema
        .createIndex('request_records_workspace_time_idx')
        .on('request_records')
        .columns(['workspace_id', 'time', 'id'])
        .execute();
    },
  };
}
