/**
 * Batched inserts on SQLite through one cached prepared statement inside one
 * better-sqlite3 transaction: an order of magnitude cheaper than compiling a
 * multi-row INSERT with thousands of parameters for every batch, which
 * matters because request records are written on the serving thread.
 *
 * The statement runs inside Kysely's connection lock, so it never interleaves
 * with a transaction Kysely holds open on the same connection.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export type BulkInsert = (rows: ReadonlyArray<Record<string, unknown>>) => Promise<void>;

export function createSqliteBulkInsert(
  database: BetterSqlite3.Database,
  db: Kysely<Database>,
  table: keyof Database,
): BulkInsert {
  let prepared:
    | { signature: string; insertAll: (rows: ReadonlyArray<Record<string, unknown>>) => void }
    | undefined;

  const prepare = (columns: string[]) => {
    const insert = database.prepare(
      `insert into "${table}" (${columns.map((column) => `"${column}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    );
    const insertAll = database.transaction((rows: ReadonlyArray<Record<string, unknown>>) => {
      // Spread, not one array: better-sqlite3 binds arguments several µs per row
      // faster than it reads them out of an array (26 columns per record).
      for (const row of rows) insert.run(...columns.map((column) => row[column] ?? null));
    });
    return { signature: columns.join(','), insertAll };
  };

  return async (rows) => {
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]!);
    if (prepared?.signature !== columns.join(',')) prepared = prepare(columns);
    const { insertAll } = prepared;
    await db.connection().execute(async () => insertAll(rows));
  };
}
