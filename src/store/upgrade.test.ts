/**
 * The upgrade contract (contract/upgrade-contract.ts) on SQLite and on a real
 * PostgreSQL (skipped where PostgreSQL is not installed, except in CI).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { postgresUnavailableReason, startPostgres } from '../../test/support/postgres.ts';
import type { RunningPostgres } from '../../test/support/postgres.ts';
import { upgradeContract } from './contract/upgrade-contract.ts';
import { createMigrator } from './migrations/run-migrations.ts';
import { createStore } from './create-store.ts';
import { dialectCodecs } from './dialect-codec.ts';
import { MIGRATION_NAMES } from './migrations/migration-provider.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-upgrade-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

upgradeContract('SQLite', {
  async fresh(t) {
    const file = path.join(dir, `upgrade-${++counter}.db`);
    const database = new BetterSqlite3(file);
    database.pragma('foreign_keys = ON');
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
    t.after(() => db.destroy());
    return {
      db,
      codec: dialectCodecs.sqlite,
      async openStore() {
        const store = await createStore({ kind: 'sqlite', file });
        t.after(() => store.close());
        return store;
      },
    };
  },
});

// `serve`, `migrate` and `apply` each migrate on start; on SQLite they may be
// separate processes opening one file at the same moment. Many rows for 0004
// to rewrite keep both inside the migrations long enough to meet there.
it('SQLite migrations started by two processes at once run once: both succeed, no token is hashed twice', async () => {
  const file = path.join(dir, 'two-processes.db');
  const database = new BetterSqlite3(file);
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
  const { error } = await createMigrator(db, dialectCodecs.sqlite).migrateTo('0003-identity');
  await db.destroy();
  assert.equal(error, undefined);
  const tokens = Array.from({ length: 20_000 }, (_, index) => `refresh-${index}`);
  const raw = new BetterSqlite3(file);
  const insert = raw.prepare(
    `insert into oauth_artefacts (model, id, payload, created_at) values ('RefreshToken', ?, ?, 0)`,
  );
  raw.transaction(() => {
    for (const token of tokens) insert.run(token, JSON.stringify({ jti: token }));
  })();
  raw.close();

  const script = `
    const { createStore } = await import(process.argv[1]);
    const store = await createStore({ kind: 'sqlite', file: process.argv[2] });
    try { console.log(JSON.stringify(await store.migrate())); } finally { await store.close(); }`;
  const createStoreFile = fileURLToPath(new URL('./create-store.ts', import.meta.url));
  const run = () =>
    promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, createStoreFile, file],
      { timeout: 60_000 },
    );
  const outputs = await Promise.all([run(), run()]);
  const applied = outputs.flatMap(({ stdout }) => JSON.parse(stdout) as string[]);
  assert.deepEqual(applied.sort(), MIGRATION_NAMES.slice(3));

  const store = await createStore({ kind: 'sqlite', file });
  try {
    const stored = await store.oauthArtefacts.listByModel('RefreshToken');
    const hashed = new Set(
      tokens.map((token) => createHash('sha256').update(token).digest('base64url')),
    );
    assert.equal(stored.length, tokens.length);
    assert.equal(stored.filter((artefact) => !hashed.has(artefact.id)).length, 0);
  } finally {
    await store.close();
  }
});

it('SQLite migrate waits for another process holding the write lock longer than the busy timeout', async () => {
  const file = path.join(dir, 'locked.db');
  const existing = new BetterSqlite3(file);
  existing.pragma('journal_mode = WAL');
  existing.close();
  // Holds the write lock for 6 s, beyond the store's 5 s busy_timeout.
  const holder = `
    import Database from 'better-sqlite3';
    const db = new Database(process.argv[1]);
    db.exec('begin immediate');
    console.log('locked');
    setTimeout(() => { db.exec('commit'); db.close(); }, 6000);`;
  const child = execFile(process.execPath, ['--input-type=module', '-e', holder, file], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
  });
  await new Promise((resolve, reject) => {
    child.stdout?.once('data', resolve);
    child.once('exit', reject);
  });
  const store = await createStore({ kind: 'sqlite', file });
  try {
    assert.deepEqual(await store.migrate(), [...MIGRATION_NAMES]);
  } finally {
    await store.close();
    child.kill();
  }
});

const unavailable = postgresUnavailableReason();

if (unavailable !== undefined && process.env.CI === undefined) {
  it('PostgreSQL upgrade contract', { skip: unavailable }, () => undefined);
} else if (unavailable !== undefined) {
  it('PostgreSQL upgrade contract', () => {
    assert.fail(`PostgreSQL is required in CI: ${unavailable}`);
  });
} else {
  describe('PostgreSQL', () => {
    let server: RunningPostgres;
    let admin: pg.Pool;
    before(async () => {
      server = await startPostgres();
      admin = new pg.Pool({ connectionString: server.url, max: 1 });
      // The server's shutdown can reach an idle connection while the pool ends.
      admin.on('error', () => undefined);
    });
    after(async () => {
      await admin?.end();
      await server?.stop();
    });

    upgradeContract('PostgreSQL', {
      async fresh(t) {
        const name = `upgrade_${++counter}`;
        await admin.query(`create database ${name}`);
        const url = new URL(server.url);
        url.pathname = `/${name}`;
        const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
        pool.on('error', () => undefined);
        const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
        t.after(() => db.destroy());
        return {
          db,
          codec: dialectCodecs.postgres,
          async openStore() {
            const store = await createStore({ kind: 'postgres', url: url.toString(), poolSize: 2 });
            t.after(() => store.close());
            return store;
          },
        };
      },
    });
  });
}
