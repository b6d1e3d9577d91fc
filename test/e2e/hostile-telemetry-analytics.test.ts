/**
 * Analytics and records queries over a 50,000-record store on a real
 * gateway: every view over the widest range, with most records in one
 * minute, answers in well under a second; one record gives its own latency
 * as every percentile; millisecond edges count exactly.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { createStore } from '../../src/store/create-store.ts';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';

const RECORDS = 50_000;
const BUSY_MINUTE = Date.parse('2026-06-01T12:00:00.000Z');
const LONE = Date.parse('2026-03-01T00:00:00.000Z');

function record(index: number, time: number, fields: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: crypto.randomUUID(),
    time: new Date(time),
    workspaceId: 'acme',
    serverId: `srv-${index % 7}`,
    principalKind: 'api_key',
    principalId: `user-${index % 50}`,
    apiKeyId: null,
    clientId: null,
    clientName: 'load',
    clientVersion: '1',
    method: 'tools/call',
    target: `tool_${index % 40}`,
    era: 'modern',
    protocolVersion: '2026-07-28',
    sessionTag: null,
    latencyMs: (index % 1000) + 0.5,
    upstreamLatencyMs: index % 1000,
    status: index % 10 === 0 ? 'error' : 'ok',
    httpStatus: 200,
    errorCode: index % 10 === 0 ? -32603 : null,
    errorMessage: index % 10 === 0 ? 'boom' : null,
    bytesIn: 100,
    bytesOut: 200,
    arguments: null,
    result: null,
    traceId: null,
    ...fields,
  };
}

describe('analytics over 50,000 records', () => {
  let gateway: TestGateway;
  let auth: Record<string, string>;

  before(async () => {
    gateway = await startTestGateway({ servers: [] });
    auth = { authorization: `Bearer ${gateway.apiKey}` };
    const store = await createStore({
      kind: 'sqlite',
      file: path.join(gateway.dataDir, SQLITE_FILE_NAME),
    });
    try {
      const batch: RequestRecord[] = [];
      // Nine in ten in one minute, the rest over a year.
      for (let i = 0; i < RECORDS; i++)
        batch.push(
          record(i, i % 10 === 9 ? BUSY_MINUTE - i * 600_000 : BUSY_MINUTE + (i % 60_000)),
        );
      batch.push(
        record(-1, LONE, { serverId: 'lone', latencyMs: 42, upstreamLatencyMs: 40, status: 'ok' }),
      );
      for (let i = 0; i < batch.length; i += 5000)
        await store.requestRecords.insertMany(batch.slice(i, i + 5000));
    } finally {
      await store.close();
    }
  });
  after(async () => {
    await gateway?.close();
  });

  const get = async (view: string, query: string) => {
    const started = performance.now();
    const answer = await request(
      `${gateway.url}/api/v1/workspaces/acme/analytics/${view}?${query}`,
      { headers: auth },
    );
    const body = (await answer.body.json()) as Record<string, unknown>;
    return { status: answer.statusCode, body, ms: performance.now() - started };
  };

  it('answers every view over four years quickly, and a century with a clear 400', async () => {
    const years = 'since=2023-01-01T00:00:00.000Z&until=2026-12-31T00:00:00.000Z';
    const century = 'since=1970-01-01T00:00:00.000Z&until=2100-01-01T00:00:00.000Z';
    for (const view of ['requests', 'latency', 'top-tools', 'top-members', 'errors', 'health']) {
      const wide = await get(view, years);
      assert.equal(wide.status, 200, `${view}: ${JSON.stringify(wide.body)}`);
      assert.ok(wide.ms < 1500, `${view} took ${Math.round(wide.ms)} ms`);
      const widest = await get(view, century);
      assert.ok([200, 400].includes(widest.status), `${view}: ${widest.status}`);
      if (widest.status === 400) assert.match(String(widest.body.message), /query\.bucket/);
      assert.ok(widest.ms < 1500, `${view} took ${Math.round(widest.ms)} ms`);
    }
  });

  it('counts a minute holding most records exactly, edges by the millisecond', async () => {
    const since = new Date(BUSY_MINUTE).toISOString();
    const until = new Date(BUSY_MINUTE + 60_000).toISOString();
    const { status, body, ms } = await get('requests', `since=${since}&until=${until}`);
    assert.equal(status, 200);
    const series = body.series as { requests: number }[];
    // Every record but the one in ten spread back over the past months.
    assert.equal(
      series.reduce((sum, bucket) => sum + bucket.requests, 0),
      RECORDS - RECORDS / 10,
    );
    assert.deepEqual(body.totals, { requests: RECORDS - RECORDS / 10, errors: RECORDS / 10 });
    const edge = await get(
      'requests',
      `since=${since}&until=${new Date(BUSY_MINUTE + 1).toISOString()}`,
    );
    assert.equal((edge.body.totals as { requests: number }).requests, 1);
    assert.ok(ms < 1500, `took ${Math.round(ms)} ms`);
  });

  it('gives one record as every percentile of its server', async () => {
    const since = new Date(LONE).toISOString();
    const until = new Date(LONE + 1).toISOString();
    const { status, body } = await get('latency', `since=${since}&until=${until}`);
    assert.equal(status, 200);
    const series = body.series as { count: number; p50: number; p95: number; p99: number }[];
    assert.deepEqual(
      series.map(({ count, p50, p95, p99 }) => ({ count, p50, p95, p99 })),
      [{ count: 1, p50: 42, p95: 42, p99: 42 }],
    );
    assert.match(JSON.stringify(body.servers), /"server":"lone"/);
    const none = await get('latency', `since=${until}&until=${new Date(LONE + 2).toISOString()}`);
    assert.equal(none.status, 200);
    assert.deepEqual(none.body.series, []);
  });
});
