/**
 * Request records lose their index on `time` alone: every record is written
 * on the serving thread and each index costs it a B-tree insert, while this
 * one served only the retention cleanup, which now walks each workspace
 * through `request_records_workspace_time_idx` instead.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function requestRecordsLeanIndexes(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('request_records_time_idx').ifExists().execute();
    },
  };
}
