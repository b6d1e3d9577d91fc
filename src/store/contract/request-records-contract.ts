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

    it('stores and returns the client, captured bodies and trace id', async (t) => {
      const store = await h.open(t);
      const record = requestRecord({
        principalKind: 'user',
        clientId: 'https://claude.ai/oauth/mcp-client',
        clientName: 'claude-ai',
        clientVersion: '0.1.0',
        arguments: '{"query":"x","password":"[redacted]"}',
        result: '{"content":[{"type":"text","text":"ok"}]}',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      });
      await store.requestRecords.insertMany([record]);
      assert.deepEqual(await store.requestRecords.find(record.id), record);
      assert.equal(await store.requestRecords.find('no-such-record'), undefined);
    });

    it('filters by time range, member, method, target, status and text', async (t) => {
      const store = await h.open(t);
      const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
      await store.requestRecords.insertMany([
        requestRecord({ id: 'r1', time: at(1), principalId: 'ann', target: 'search' }),
        requestRecord({
          id: 'r2',
          time: at(2),
          principalId: 'bob',
          target: 'Deploy_100%',
          status: 'error',
          errorMessage: 'upstream_timeout',
        }),
        requestRecord({
          id: 'r3',
          time: at(3),
          principalId: 'ann',
          method: 'tools/list',
          target: null,
        }),
        requestRecord({ id: 'r4', time: at(4), principalId: 'bob', target: 'search' }),
      ]);
      const ids = async (query: Parameters<Store['requestRecords']['list']>[0]) =>
        (await store.requestRecords.list(query)).map((r) => r.id);
      assert.deepEqual(await ids({ since: at(2), until: at(4) }), ['r3', 'r2']);
      assert.deepEqual(await ids({ principalId: 'ann' }), ['r3', 'r1']);
      assert.deepEqual(await ids({ method: 'tools/list' }), ['r3']);
      assert.deepEqual(await ids({ target: 'search' }), ['r4', 'r1']);
      assert.deepEqual(await ids({ status: 'error' }), ['r2']);
      assert.deepEqual(await ids({ text: 'TIMEOUT' }), ['r2']);
      assert.deepEqual(await ids({ text: 'deploy_100%' }), ['r2']);
      // `%` and `_` are literal in a text search, not wildcards.
      assert.deepEqual(await ids({ text: '_1%' }), []);
      assert.deepEqual(await ids({ text: 'tools/' }), ['r4', 'r3', 'r2', 'r1']);
      assert.equal(await store.requestRecords.count({ principalId: 'bob', status: 'ok' }), 1);
    });

    it('pages newest first from a (time, id) position, stable when newer records arrive', async (t) => {
      const store = await h.open(t);
      const same = new Date(Date.UTC(2026, 0, 1, 0, 0, 5));
      await store.requestRecords.insertMany([
        requestRecord({ id: 'a', time: same }),
        requestRecord({ id: 'b', time: same }),
        requestRecord({ id: 'c', time: same }),
        requestRecord({ id: 'd', time: new Date(Date.UTC(2026, 0, 1, 0, 0, 4)) }),
      ]);
      const first = await store.requestRecords.list({ limit: 2 });
      assert.deepEqual(
        first.map((r) => r.id),
        ['c', 'b'],
      );
      await store.requestRecords.insertMany([
        requestRecord({ id: 'z', time: new Date(Date.UTC(2026, 0, 1, 0, 0, 9)) }),
      ]);
      const last = first.at(-1)!;
      const second = await store.requestRecords.list({
        before: { time: last.time, id: last.id },
        limit: 2,
      });
      assert.deepEqual(
        second.map((r) => r.id),
        ['a', 'd'],
      );
    });

    it('removeOlderThan deletes only records before the cutoff and counts them', async (t) => {
      const store = await h.open(t);
      const day = (d: number) => new Date(Date.UTC(2026, 0, d));
      await store.requestRecords.insertMany([
        ...Array.from({ length: 30 }, () => requestRecord({ time: day(1) })),
        requestRecord({ id: 'edge', time: day(10) }),
        requestRecord({ id: 'new', time: day(20) }),
      ]);
      assert.equal(await store.requestRecords.removeOlderThan(day(10)), 30);
      assert.deepEqual(
        (await store.requestRecords.list({})).map((r) => r.id),
        ['new', 'edge'],
      );
      assert.equal(await store.requestRecords.removeOlderThan(day(10)), 0);
    });

    it('removeOlderThan reaches every workspace, past one delete chunk each', async (t) => {
      const store = await h.open(t);
      const day = (d: number) => new Date(Date.UTC(2026, 0, d));
      const old = (workspaceId: string, n: number) =>
        Array.from({ length: n }, (_, i) => requestRecord({ workspaceId, time: day(1 + (i % 5)) }));
      // No workspace row exists for any of these: records outlive their workspace.
      await store.requestRecords.insertMany([
        ...old('acme', 5_001),
        ...old('beta', 3),
        ...old('zz-deleted', 2),
        requestRecord({ id: 'acme-new', workspaceId: 'acme', time: day(20) }),
        requestRecord({ id: 'beta-edge', workspaceId: 'beta', time: day(10) }),
      ]);
      assert.equal(await store.requestRecords.removeOlderThan(day(10)), 5_006);
      assert.deepEqual(
        (await store.requestRecords.list({})).map((r) => r.id),
        ['acme-new', 'beta-edge'],
      );
      assert.equal(await store.requestRecords.removeOlderThan(day(10)), 0);
    });

    it('removeOlderThan on an empty table removes nothing', async (t) => {
      const store = await h.open(t);
      assert.equal(await store.requestRecords.removeOlderThan(new Date()), 0);
    });

    it('timeSeries counts requests and errors per aligned bucket', async (t) => {
      const store = await h.open(t);
      const at = (minute: number, second: number) =>
        new Date(Date.UTC(2026, 0, 1, 10, minute, second));
      await store.requestRecords.insertMany([
        requestRecord({ time: at(0, 1) }),
        requestRecord({ time: at(0, 59), status: 'error' }),
        requestRecord({ time: at(2, 0) }),
        requestRecord({ time: at(2, 30), status: 'error' }),
        requestRecord({ time: at(2, 31), status: 'error' }),
        requestRecord({ time: at(2, 32), workspaceId: 'beta' }),
      ]);
      assert.deepEqual(await store.requestRecords.timeSeries({ workspaceId: 'acme' }, 60_000), [
        { start: at(0, 0), requests: 2, errors: 1 },
        { start: at(2, 0), requests: 3, errors: 2 },
      ]);
      assert.deepEqual(await store.requestRecords.timeSeries({}, 3_600_000), [
        { start: new Date(Date.UTC(2026, 0, 1, 10)), requests: 6, errors: 3 },
      ]);
    });

    it('groupBy gives requests, errors, upstream failures, mean latency and time span per group', async (t) => {
      const store = await h.open(t);
      const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
      await store.requestRecords.insertMany([
        requestRecord({ time: at(1), serverId: 'a', target: 'x', latencyMs: 10 }),
        requestRecord({ time: at(2), serverId: 'a', target: 'x', latencyMs: 20 }),
        requestRecord({
          time: at(3),
          serverId: 'a',
          target: 'y',
          latencyMs: 30,
          status: 'error',
          errorCode: -32001,
          errorMessage: 'upstream_unavailable',
        }),
        requestRecord({
          time: at(4),
          serverId: 'b',
          target: 'x',
          latencyMs: 40,
          status: 'error',
          errorCode: -32602,
          errorMessage: 'Unknown tool',
        }),
      ]);
      const servers = await store.requestRecords.groupBy({}, 'server', 10);
      assert.deepEqual(servers, [
        {
          keys: ['a'],
          requests: 3,
          errors: 1,
          upstreamFailures: 1,
          avgLatencyMs: 20,
          firstTime: at(1),
          lastTime: at(3),
        },
        {
          keys: ['b'],
          requests: 1,
          errors: 1,
          upstreamFailures: 0,
          avgLatencyMs: 40,
          firstTime: at(4),
          lastTime: at(4),
        },
      ]);
      const tools = await store.requestRecords.groupBy({}, 'tool', 2);
      assert.deepEqual(
        tools.map((g) => [g.keys, g.requests]),
        [
          [['a', 'x'], 2],
          [['a', 'y'], 1],
        ],
      );
      const errors = await store.requestRecords.groupBy({ status: 'error' }, 'error', 10);
      assert.deepEqual(
        errors.map((g) => [g.keys, g.requests]),
        [
          [[-32602, 'Unknown tool'], 1],
          [[-32001, 'upstream_unavailable'], 1],
        ],
      );
      const latencies = await store.requestRecords.latencies({ serverId: 'a' }, 2);
      assert.deepEqual(latencies, [
        { time: at(3), serverId: 'a', method: 'tools/call', target: 'y', latencyMs: 30 },
        { time: at(2), serverId: 'a', method: 'tools/call', target: 'x', latencyMs: 20 },
      ]);
    });

    it('a server keeps its capture settings, metadata when none are given', async (t) => {
      const store = await h.open(t);
      await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
      const base = {
        workspaceId: 'acme',
        id: 'linear',
        name: 'Linear',
        transport: 'http' as const,
        url: 'https://mcp.linear.app/mcp',
        timeoutMs: 1000,
      };
      assert.deepEqual((await store.servers.upsert(base)).capture, {
        mode: 'metadata',
        masks: [],
      });
      const full = { mode: 'full' as const, masks: ['arguments.card.number'] };
      await store.servers.upsert({ ...base, capture: full });
      assert.deepEqual((await store.servers.find('acme', 'linear'))?.capture, full);
    });

    it('list returns at most 100 records unless told otherwise', async (t) => {
      const store = await h.open(t);
      await store.requestRecords.insertMany(Array.from({ length: 150 }, () => requestRecord()));
      assert.equal((await store.requestRecords.list({})).length, 100);
      assert.equal((await store.requestRecords.list({ limit: 150 })).length, 150);
    });
  });
}
