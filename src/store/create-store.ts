/**
 * Opens a store: SQLite (better-sqlite3, one connection, WAL) for a single
 * instance, PostgreSQL (pg pool) for several. Call `migrate()` before use.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { GatewayError } from '../shared/errors.ts';
import { dialectCodecs } from './dialect-codec.ts';
import { createKyselyStore } from './kysely-store.ts';
import { createSqliteBulkInsert } from './sqlite-bulk-insert.ts';
import type { TransactionRunner } from './kysely-store.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';

export type StoreOptions =
  | { kind: 'sqlite'; file: string }
  | {
      kind: 'postgres';
      url: string;
      poolSize?: number;
      /**
       * Longest wait for a connection and longest run of one statement; none when absent.
       * Migrations run without it: they may wait for another migrator's lock.
       */
      statementTimeoutMs?: number;
      /** Errors of idle pooled connections (server restart, network); the next query reports them too. */
      onPoolError?: (error: Error) => void;
    };

/** How long a writer waits for another process holding the SQLite write lock. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

// BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that
// upgrades later can fail with SQLITE_BUSY without waiting for busy_timeout
// when another process (e.g. `portcullis apply`) is writing.
const sqliteTransaction: TransactionRunner = (db, work) =>
  db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await work(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });

const postgresTransaction: TransactionRunner = (db, work) => db.transaction().execute(work);

function openSqlite(file: string): Store {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  database.pragma('foreign_keys = ON');
  // Safe with WAL: a power loss may lose the last commits, never corrupts.
  database.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return createKyselyStore({
    db,
    codec: dialectCodecs.sqlite,
    runTransaction: sqliteTransaction,
    bulkInsertRecords: createSqliteBulkInsert(database, db, 'request_records'),
  });
}

type PostgresOptions = Extract<StoreOptions, { kind: 'postgres' }>;

function postgresDb(options: PostgresOptions, max: number, bounds = { statements: true }) {
  const timeout = options.statementTimeoutMs;
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    ...(timeout === undefined ? {} : { connectionTimeoutMillis: timeout }),
    ...(timeout === undefined || !bounds.statements ? {} : { statement_timeout: timeout }),
  });
  // Without a listener, an idle client's error event would crash the process.
  pool.on('error', options.onPoolError ?? (() => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** The URL without its password, for messages. */
function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(invalid URL)';
  }
}

function openPostgres(options: PostgresOptions): Store {
  const store = createKyselyStore({
    db: postgresDb(options, options.poolSize ?? 10),
    codec: dialectCodecs.postgres,
    runTransaction: postgresTransaction,
  });
  return {
    ...store,
    async migrate() {
      // A migration may wait for another instance's migration and rewrite large
      // tables, so its statements are not bounded; reaching the server is.
      const migrator = createKyselyStore({
        db: postgresDb(options, 1, { statements: false }),
        codec: dialectCodecs.postgres,
        runTransaction: postgresTransaction,
      });
      try {
        try {
          await migrator.ping();
        } catch (error) {
          // The first thing `serve` and `migrate` do: say which database, not "migration failed".
          throw new GatewayError(
            'store_unavailable',
            `PostgreSQL at ${redactDatabaseUrl(options.url)} cannot be reached`,
            { cause: error },
          );
        }
        return await migrator.migrate();
      } finally {
        await migrator.close();
      }
    },
  };
}

export async function createStore(options: StoreOptions): Promise<Store> {
  return options.kind === 'sqlite' ? openSqlite(options.file) : openPostgres(options);
}
