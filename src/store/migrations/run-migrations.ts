/**
 * Brings a database to the newest migration, all or nothing.
 *
 * Kysely runs PostgreSQL migrations in one transaction under an advisory
 * lock, but on SQLite in neither (its adapter declares no transactional
 * DDL, and its migration lock covers one connection only). A migration cut
 * short there (a crash, a kill, a full disk, a lock timeout) left a
 * half-applied schema that every later start failed on ("duplicate column
 * name"), and a data rewrite such as 0004 could run twice over the same
 * rows. SQLite does roll DDL back, so every pending migration runs inside one
 * BEGIN IMMEDIATE transaction, which also keeps other processes (`apply`,
 * a second `serve`) from migrating the same file at the same time.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';
import { findUnknownMigrations } from './find-unknown-migrations.ts';
import { MIGRATION_NAMES, migrationProvider } from './migration-provider.ts';

export const MIGRATION_TABLE = 'portcullis_migration';
const MIGRATION_LOCK_TABLE = 'portcullis_migration_lock';

// Without Kysely's error as the cause: its "corrupted migrations" would suggest damage.
function newerDatabaseError(unknown: readonly string[]): Error {
  const one = unknown.length === 1;
  return new Error(
    `The database was migrated by a newer Portcullis: migration${one ? '' : 's'} ` +
      `${unknown.join(', ')} ${one ? 'is' : 'are'} unknown to this version, whose newest is ` +
      `${MIGRATION_NAMES.at(-1) ?? 'none'}. This gateway is older than the database: ` +
      'run the newer version, or restore the backup taken before upgrading.',
  );
}

/** Kysely's migrator as the gateway configures it (tests use it to stop at an older version). */
export function createMigrator(db: Kysely<unknown>, codec: DialectCodec): Migrator {
  return new Migrator({
    db,
    provider: migrationProvider(codec),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

async function migrateToLatest(db: Kysely<unknown>, codec: DialectCodec): Promise<string[]> {
  const { error, results = [] } = await createMigrator(db, codec).migrateToLatest();
  if (error !== undefined) {
    // Kysely checks the recorded names before it runs anything: nothing changed.
    const unknown = await findUnknownMigrations(db, MIGRATION_TABLE);
    if (unknown.length > 0) throw newerDatabaseError(unknown);
    const failed = results.find((result) => result.status === 'Error');
    const name = failed === undefined ? '' : ` ${failed.migrationName}`;
    throw new Error(`Migration${name} failed`, { cause: error });
  }
  return results.map((result) => result.migrationName);
}

/** How long a process waits for another one's migrations (0004 rewrites every token). */
const SQLITE_MIGRATION_WAIT_MS = 120_000;

const isBusy = (error: unknown) =>
  error instanceof Error && String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY');

// Each attempt already waits the connection's busy_timeout for the write lock.
async function beginImmediate(connection: Kysely<unknown>): Promise<void> {
  const deadline = Date.now() + SQLITE_MIGRATION_WAIT_MS;
  for (;;) {
    try {
      await sql`begin immediate`.execute(connection);
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
    }
  }
}

/** Resolves to the names of the migrations it applied (none when up to date). */
export function runMigrations(db: Kysely<unknown>, codec: DialectCodec): Promise<string[]> {
  if (codec.dialect !== 'sqlite') return migrateToLatest(db, codec);
  return db.connection().execute(async (connection) => {
    await beginImmediate(connection);
    try {
      const applied = await migrateToLatest(connection, codec);
      await sql`commit`.execute(connection);
      return applied;
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}
