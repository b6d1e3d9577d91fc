/**
 * The static list of migrations (no directory scanning: the list is the
 * source of truth and works from any install layout). Names sort in order.
 */
import type { Migration, MigrationProvider } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';
import { initialSchema } from './0001-initial-schema.ts';

export function migrationProvider(codec: DialectCodec): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-initial-schema': initialSchema(codec),
  };
  return { getMigrations: async () => migrations };
}
