/** Request records: batched insert, list, count. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../store.ts';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith, requestRecord } from './contract-support.ts';

export function requestRecordsContract(h: ContractHarness): void {
  describe('request records', () => {
    it('insertMany round-trips every field, including nulls', async (t) => {
      const store = await h.open(t);
      const full = requestRecord();
      const sparse = requestRecord({
        time: new Date('2026-01-01T00:00:01.000Z'),
        principalKind: 'anonymous',
        principalId: null,
        apiKeyId: null,
        method: 'GET',
        target: null,
        era: 'modern',
        protocolVersion: null,
        sessionTag: null,
        upstreamLatencyMs: null,
        status: 'error',
        httpStatus: 502,
        errorCode: -32001,
        errorMessage: 'upstream_unavailable',
        bytesIn: 0,
        bytesOut: 0,
      });
      await store.requestRecords.insertMany([full, sparse]);
      assert.deepEqual(await store.requestRecords.list({}), [sparse, full]);
    });

    it('insertMany of nothing writes nothing', async (t) => {
      const store = await h.open(t);
      await store.requestRecords.insertMany([]);
      assert.equal(await store.requestRecords.count({}), 0);
    });

    it('insertMany writes batches larger than one statement chunk', async (t) => {
      const store = await h.open(t);
      const records = Array.from({ length: 1234 }, (_, i) =>
        requestRecord({ time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)) }),
      );
      await store.requestRecords.insertMany(records);
      assert.equal(await store.requestRecords.count({}), 1234);
      const newest = await store.requestRecords.list({ limit: 1 });
      assert.deepEqual(newest, [records[1233]]);
    });

    it('a batch with a bad record writes none of it, even across chunks', async (t) => {
      const store = await h.open(t);
      const records = Array.from({ length: 700 }, () => requestRecord());
      records.push({ ...records[0]! });
      await assert.rejects(store.requestRecords.insertMany(records), isStoreErrorWith('conflict'));
      assert.equal(await store.requestRecords.count({}), 0);
    });

    it('list and count filter by workspace, server and time; list is newest first and limited', async (t) => {
      const store = await h.open(t);
      const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
      await store.requestRecords.insertMany([
        requestRecord({ id: 'r1', time: at(1), workspaceId: 'acme', serverId: 'a' }),
        requestRecord({ id: 'r2', time: at(2), workspaceId: 'acme', serverId: 'b' }),
        requestRecord({ id: 'r3', time: at(3), workspaceId: 'beta', serverId: 'a' }),
        requestRecord({ id: 'r4', time: at(4), workspaceId: 'acme', serverId: 'a' }),
      ]);
      const ids = async (query: Parameters<Store['requestRecords']['list']>[0]) =>
        (await store.requestRecords.list(query)).map((r) => r.id);
      assert.deepEqual(await ids({}), ['r4', 'r3', 'r2', 'r1']);
      assert.deepEqual(await ids({ workspaceId: 'acme' }), ['r4', 'r2', 'r1']);
      assert.deepEqual(await ids({ workspaceId: 'acme', serverId: 'a' }), ['r4', 'r1']);
      assert.deepEqual(await ids({ serverId: 'a' }), ['r4', 'r3', 'r1']);
      assert.deepEqual(await ids({ since: at(2) }), ['r4', 'r3', 'r2']);
      assert.deepEqual(await ids({ workspaceId: 'acme', since: at(2), limit: 1 }), ['r4']);
      assert.equal(await store.requestRecords.count({}), 4);
      assert.equal(await store.requestRecords.count({ workspaceId: 'acme' }), 3);
      assert.equal(
        await store.requestRecords.count({ workspaceId: 'acme', serverId: 'a', since: at(2) }),
        1,
      );
      assert.equal(await store.requestRecords.count({ workspaceId: 'acme', limit: 1 }), 3);
      assert.equal(await store.requestRecords.count({ workspaceId: 'nobody' }), 0);
    });

    it('list returns at most 100 records unless told otherwise', async (t) => {
      const store = await h.open(t);
      await store.requestRecords.insertMany(Array.from({ length: 150 }, () => requestRecord()));
      assert.equal((await store.requestRecords.list({})).length, 100);
      assert.equal((await store.requestRecords.list({ limit: 150 })).length, 150);
    });
  });
}
