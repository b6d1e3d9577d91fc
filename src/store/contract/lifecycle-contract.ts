/** Migrations, ping, close and transactions. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith, requestRecord } from './contract-support.ts';

export function lifecycleContract(h: ContractHarness): void {
  describe('lifecycle', () => {
    it('migrate is idempotent and ping answers', async (t) => {
      const store = await h.open(t);
      assert.deepEqual(await store.migrate(), []);
      await store.ping();
    });

    it('close can be called twice', async () => {
      const store = await h.createStore();
      await store.close();
      await store.close();
    });
  });

  describe('transactions', () => {
    it('commits when the work resolves and returns its value', async (t) => {
      const store = await h.open(t);
      const value = await store.transaction(async (tx) => {
        await tx.workspaces.upsert({ id: 'acme', name: 'Acme' });
        await tx.users.upsert({ email: 'admin@acme.test' });
        return 42;
      });
      assert.equal(value, 42);
      assert.ok(await store.workspaces.find('acme'));
      assert.ok(await store.users.findByEmail('admin@acme.test'));
    });

    it('rolls back every write when the work throws, and rethrows', async (t) => {
      const { store, user } = await h.seeded(t);
      const failure = new Error('boom');
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.workspaces.upsert({ id: 'acme', name: 'Renamed' });
          await tx.workspaces.upsert({ id: 'beta', name: 'Beta' });
          await tx.members.upsert({ workspaceId: 'acme', userId: user.id, role: 'owner' });
          await tx.requestRecords.insertMany([requestRecord()]);
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.equal((await store.workspaces.find('acme'))?.name, 'Acme');
      assert.equal(await store.workspaces.find('beta'), undefined);
      assert.deepEqual(await store.members.list('acme'), []);
      assert.equal(await store.requestRecords.count({}), 0);
    });

    it('rolls back earlier writes when a later write breaks a reference', async (t) => {
      const { store } = await h.seeded(t);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.workspaces.upsert({ id: 'beta', name: 'Beta' });
          await tx.members.upsert({ workspaceId: 'beta', userId: randomUUID(), role: 'owner' });
        }),
        isStoreErrorWith('reference_not_found'),
      );
      assert.equal(await store.workspaces.find('beta'), undefined);
    });

    it('a nested transaction joins the outer one', async (t) => {
      const store = await h.open(t);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.transaction(async (inner) => {
            await inner.workspaces.upsert({ id: 'acme', name: 'Acme' });
          });
          throw new Error('outer fails');
        }),
        /outer fails/,
      );
      assert.equal(await store.workspaces.find('acme'), undefined);
    });

    it('the store is usable after a rolled back transaction', async (t) => {
      const store = await h.open(t);
      await assert.rejects(store.transaction(() => Promise.reject(new Error('no'))));
      await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
      assert.equal((await store.workspaces.list()).length, 1);
    });
  });
}
