/**
 * Rewrites a SQLite database file without its free pages. SQLite leaves the
 * bytes of updated and deleted rows in free space (and in the WAL) until the
 * pages are reused, so after `rotate-key` the file would still hold values
 * sealed under the former key. VACUUM rebuilds the file from live rows only;
 * the TRUNCATE checkpoint then empties the WAL.
 */
import BetterSqlite3 from 'better-sqlite3';

/** Waits for running gateways' transactions before giving up (SQLite busy handler). */
const BUSY_TIMEOUT_MS = 10_000;

/** What happened, as one line for the command's output. */
export function compactSqliteFile(file: string): string {
  const database = new BetterSqlite3(file);
  try {
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    database.exec('VACUUM');
    const [checkpoint] = database.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (checkpoint !== undefined && checkpoint.busy !== 0)
      return 'database file compacted; its write-ahead log is still in use by a running gateway and is emptied at its next checkpoint';
    return 'database file compacted: no copy of a value sealed under the former key is left in free pages';
  } catch (error) {
    return `database file not compacted (${(error as Error).message}): run rotate-key again when no gateway is writing`;
  } finally {
    database.close();
  }
}
