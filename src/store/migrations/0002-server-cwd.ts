/**
 * The working directory of stdio servers (`cwd` in the declarative config);
 * null runs the server in the gateway's own working directory.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function serverCwd(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('servers').addColumn('cwd', 'text').execute();
    },
  };
}
