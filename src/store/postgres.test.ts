/**
 * The store contract against a real PostgreSQL: a throwaway cluster for this
 * file, one database emptied before each test. Skipped where PostgreSQL is not
 * installed, except in CI (CI is set), where that is a failure.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { postgresUnavailableReason, startPostgres } from '../../test/support/postgres.ts';
import type { RunningPostgres } from '../../test/support/postgres.ts';
import { createStore } from './create-store.ts';
import { storeContract } from './store.contract.ts';
import { MIGRATION_NAMES } from './migrations/migration-provider.ts';

const unavailable = postgresUnavailableReason();

if (unavailable !== undefined && process.env.CI === undefined) {
  it('PostgreSQL store contract', { skip: unavailable }, () => undefined);
} else if (unavailable !== undefined) {
  it('PostgreSQL store contract', () => {
    assert.fail(`PostgreSQL is required in CI: ${unavailable}`);
  });
} else {
  let server: RunningPostgres;
  let admin: pg.Pool;
  let contractUrl: string;
  let counter = 0;

  // CREATE DATABASE costs ~0.4 s; one migrated database emptied before each
  // test gives the same isolation for a suite that runs its tests in order.
  async function createDatabase(prefix: string): Promise<string> {
    const name = `${prefix}_${++counter}`;
    await admin.query(`create database ${name}`);
    const url = new URL(server.url);
    url.pathname = `/${name}`;
    return url.toString();
  }

  before(async () => {
    server = await startPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 1 });
    // The server's shutdown can reach an idle connection while the pool ends.
    admin.on('error', () => undefined);
    contractUrl = await createDatabase('contract');
    const store = await createStore({ kind: 'postgres', url: contractUrl });
    await store.migrate();
    await store.close();
  });
  after(async () => {
    await admin?.end();
    await server?.stop();
  });

  storeContract('PostgreSQL', async () => {
    const client = new pg.Client({ connectionString: contractUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ tablename: string }>(
        `select tablename from pg_tables
         where schemaname = 'public' and tablename not like 'portcullis_migration%'`,
      );
      await client.query(`truncate ${rows.map((row) => row.tablename).join(', ')} cascade`);
    } finally {
      await client.end();
    }
    return createStore({ kind: 'postgres', url: contractUrl, poolSize: 4 });
  });

  it('PostgreSQL store applies concurrent migrations once', async () => {
    const url = await createDatabase('concurrent');
    const stores = [
      await createStore({ kind: 'postgres', url, poolSize: 2 }),
      await createStore({ kind: 'postgres', url, poolSize: 2 }),
    ];
    try {
      const applied = await Promise.all(stores.map((store) => store.migrate()));
      assert.deepEqual(applied.flat(), MIGRATION_NAMES);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
}
