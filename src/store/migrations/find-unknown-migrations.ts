/**
 * Migrations recorded in the database that this version does not know: a
 * newer gateway applied them. Kysely refuses such a database before running
 * anything, but only says "corrupted migrations"; run-migrations.ts names
 * them and says which side is older.
 */
import type { Kysely } from 'kysely';
import { MIGRATION_NAMES } from './migration-provider.ts';

/** Unknown names, oldest first; none when the table cannot be read (it is Kysely's error then). */
export async function findUnknownMigrations(
  untyped: Kysely<unknown>,
  migrationTable: string,
): Promise<string[]> {
  const db = untyped as Kysely<Record<string, { name: string }>>;
  const applied = await db
    .selectFrom(migrationTable)
    .select('name')
    .orderBy('name')
    .execute()
    .catch(() => []);
  const known = new Set(MIGRATION_NAMES);
  return applied.map((row) => row.name).filter((name) => !known.has(name));
}
