/**
 * The upgrade path, per dialect: a database an older gateway migrated and
 * filled (upgrade-seed.ts) is migrated to the latest schema, and everything
 * it held reads back through the store with the values it had and the
 * defaults the newer columns promise. One test per older version, so a
 * migration is tested against every kind of row that existed before it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DialectCodec } from '../dialect-codec.ts';
import { MIGRATION_NAMES } from '../migrations/migration-provider.ts';
import { createMigrator, MIGRATION_TABLE } from '../migrations/run-migrations.ts';
import type { Store } from '../store.ts';
import { seedAt } from './upgrade-seed.ts';
import { verifyAudit, verifyIdentity, verifyRecords, verifyServers } from './upgrade-checks.ts';
import {
  verifyAuthorizationServer,
  verifyPolicies,
  verifyUpstream,
} from './upgrade-checks-oauth.ts';

export interface UpgradeHarness {
  /** A new, empty database: raw access for the older version, and the store over it. */
  fresh(t: TestContext): Promise<{
    db: Kysely<unknown>;
    codec: DialectCodec;
    /** Opens the store on the same database; closed after the test. */
    openStore: () => Promise<Store>;
  }>;
}

async function migrateTo(db: Kysely<unknown>, codec: DialectCodec, name: string): Promise<void> {
  const { error } = await createMigrator(db, codec).migrateTo(name);
  if (error !== undefined) throw new Error(`migrating to ${name} failed`, { cause: error });
}

export function upgradeContract(dialect: string, h: UpgradeHarness): void {
  describe(`${dialect} upgrade`, () => {
    // Every version the latest gateway may find: a database left at migration N−1.
    for (const [index, next] of MIGRATION_NAMES.entries()) {
      if (index === 0) continue;
      const level = index;
      const older = MIGRATION_NAMES[index - 1] as string;
      it(`a database filled at ${older} migrates from ${next} to the latest and keeps its data`, async (t) => {
        const { db, codec, openStore } = await h.fresh(t);
        await migrateTo(db, codec, older);
        await seedAt(db, codec, level);
        const store = await openStore();
        assert.deepEqual(await store.migrate(), MIGRATION_NAMES.slice(index));
        await verifyIdentity(store, level);
        await verifyServers(store, level);
        await verifyRecords(store, level);
        await verifyAuthorizationServer(store, level);
        await verifyUpstream(store, level);
        await verifyPolicies(store, level);
        await verifyAudit(store, level);
      });
    }

    it('a database at the latest migration keeps its data and migrating again applies nothing', async (t) => {
      const { db, codec, openStore } = await h.fresh(t);
      const level = MIGRATION_NAMES.length;
      await migrateTo(db, codec, MIGRATION_NAMES.at(-1) as string);
      await seedAt(db, codec, level);
      const store = await openStore();
      assert.deepEqual(await store.migrate(), []);
      assert.deepEqual(await store.migrate(), []);
      await verifyIdentity(store, level);
      await verifyServers(store, level);
      await verifyUpstream(store, level);
      await verifyAudit(store, level);
    });

    // An obstacle met halfway through 0009 (after its columns are added) stands
    // in for any interruption: a crash, a kill, a full disk, a lock timeout.
    it('a migration that fails halfway leaves nothing behind, and the next migrate completes', async (t) => {
      const { db, codec, openStore } = await h.fresh(t);
      const level = MIGRATION_NAMES.indexOf('0009-request-record-details');
      await migrateTo(db, codec, MIGRATION_NAMES[level - 1] as string);
      await seedAt(db, codec, level);
      await sql`create index request_records_workspace_time_idx on request_records (workspace_id)`.execute(
        db,
      );
      const store = await openStore();
      await assert.rejects(store.migrate(), /Migration 0009-request-record-details failed/);
      await sql`drop index request_records_workspace_time_idx`.execute(db);
      assert.deepEqual(await store.migrate(), MIGRATION_NAMES.slice(level));
      await verifyServers(store, level);
      await verifyRecords(store, level);
      await verifyAudit(store, level);
    });

    it('a database written by a newer gateway is refused, naming the unknown migration', async (t) => {
      const { db, codec, openStore } = await h.fresh(t);
      await migrateTo(db, codec, MIGRATION_NAMES.at(-1) as string);
      await sql`insert into ${sql.table(MIGRATION_TABLE)} (name, timestamp) values (${'9999-from-the-future'}, ${new Date().toISOString()})`.execute(
        db,
      );
      const store = await openStore();
      await assert.rejects(store.migrate(), (error: Error) => {
        assert.match(error.message, /migration 9999-from-the-future is unknown to this version/);
        assert.match(error.message, /This gateway is older than the database/);
        return true;
      });
      // Nothing was changed: the newer migration is still recorded, the schema untouched.
      const { rows } = await sql<{
        name: string;
      }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
      assert.deepEqual(
        rows.map((row) => row.name),
        [...MIGRATION_NAMES, '9999-from-the-future'],
      );
    });
  });
}
