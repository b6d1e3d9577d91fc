import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requestRecord } from '../store/contract/contract-support.ts';
import { bucketFor, percentile } from './analytics-routes.ts';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

const BASE = '/api/v1/workspaces/acme/analytics';
const RANGE = 'since=2026-03-01T10:00:00Z&until=2026-03-01T11:00:00Z';
const at = (minute: number, second: number) => new Date(Date.UTC(2026, 2, 1, 10, minute, second));

describe('analytics routes', () => {
  let t: AdminTestApp;
  const get = async (path: string, person: 'admin' | 'member' = 'admin') => {
    const response = await call(t, 'GET', `${BASE}/${path}`, t.bearer(person));
    assert.equal(response.status, 200, JSON.stringify(response.json()));
    return response.json();
  };

  before(async () => {
    t = await startAdminTestApp();
    const member = t.users.member.id;
    const admin = t.users.admin.id;
    const r = (
      id: string,
      time: Date,
      serverId: string,
      principalId: string,
      method: string,
      target: string | null,
      latencyMs: number,
      error?: [number, string],
    ) =>
      requestRecord({
        id,
        time,
        serverId,
        principalId,
        method,
        target,
        latencyMs,
        ...(error === undefined
          ? {}
          : { status: 'error', errorCode: error[0], errorMessage: error[1] }),
      });
    // The seeded data set; every figure asserted below is worked out by hand from it.
    await t.store.requestRecords.insertMany([
      r('g1', at(0, 10), 'github', member, 'tools/call', 'search', 10),
      r('g2', at(0, 20), 'github', member, 'tools/call', 'search', 20),
      r('g3', at(0, 30), 'github', admin, 'tools/call', 'search', 30),
      r('g4', at(1, 0), 'github', member, 'tools/call', 'create_issue', 40, [
        -32602,
        'Unknown tool',
      ]),
      r('g5', at(1, 30), 'github', admin, 'tools/list', null, 50),
      r('l1', at(2, 0), 'linear', admin, 'tools/call', 'list_issues', 100, [
        -32001,
        'upstream_unavailable',
      ]),
      r('l2', at(2, 10), 'linear', admin, 'tools/call', 'list_issues', 200),
      r('l3', at(2, 20), 'linear', member, 'tools/call', 'list_issues', 300, [
        -32002,
        'upstream_timeout',
      ]),
      r('l4', at(2, 30), 'linear', member, 'tools/call', 'list_issues', 400),
      // Outside the range (the end is exclusive) or the workspace: never counted.
      r(
        'before',
        new Date(Date.UTC(2026, 2, 1, 9, 59, 59)),
        'github',
        admin,
        'tools/call',
        'search',
        9999,
      ),
      r('end', new Date(Date.UTC(2026, 2, 1, 11)), 'github', admin, 'tools/call', 'search', 9999),
      {
        ...r('elsewhere', at(3, 0), 'github', admin, 'tools/call', 'search', 9999),
        workspaceId: 'other',
      },
    ]);
  });
  after(() => t.close());

  it('refuses bad ranges, buckets and limits with 400 naming the field', async () => {
    for (const [query, field] of [
      ['since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z', 'query.until'],
      ['since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z&bucket=minute', 'query.bucket'],
      ['bucket=week', 'query.bucket'],
      ['limit=0', 'query.limit'],
      ['until=soon', 'query.until'],
    ] as const) {
      const response = await call(t, 'GET', `${BASE}/requests?${query}`, t.bearer('admin'));
      assert.equal(response.status, 400, query);
      assert.match(response.json().message, new RegExp(field.replaceAll('.', '\\.')), query);
    }
    const latency = await call(
      t,
      'GET',
      `${BASE}/latency?since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z&bucket=minute`,
      t.bearer('admin'),
    );
    assert.equal(latency.status, 400);
    assert.match(latency.json().message, /query\.bucket/);
    const outsider = await call(t, 'GET', `${BASE}/requests`, t.bearer('outsider'));
    assert.equal(outsider.status, 404);
  });

  it('percentiles by nearest rank and buckets chosen from the range', () => {
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([7], 99), 7);
    assert.equal(percentile([10, 20, 30, 40, 50], 50), 30);
    assert.equal(percentile([10, 20, 30, 40, 50], 95), 50);
    assert.equal(percentile([100, 200, 300, 400], 50), 200);
    assert.equal(bucketFor(3_600_000), 'minute');
    assert.equal(bucketFor(86_400_000), 'hour');
    assert.equal(bucketFor(7 * 86_400_000), 'day');
  });

  it('counts requests and errors per minute over the range', async () => {
    const body = await get(`requests?${RANGE}`);
    assert.equal(body.bucket, 'minute');
    assert.deepEqual(body.totals, { requests: 9, errors: 3 });
    assert.deepEqual(body.series, [
      { start: '2026-03-01T10:00:00.000Z', requests: 3, errors: 0 },
      { start: '2026-03-01T10:01:00.000Z', requests: 2, errors: 1 },
      { start: '2026-03-01T10:02:00.000Z', requests: 4, errors: 2 },
    ]);
    const hourly = await get(`requests?${RANGE}&bucket=hour`);
    assert.deepEqual(hourly.series, [
      { start: '2026-03-01T10:00:00.000Z', requests: 9, errors: 3 },
    ]);
  });

  it('gives p50, p95 and p99 per server and per tool', async () => {
    const body = await get(`latency?${RANGE}`);
    assert.equal(body.sampled, false);
    assert.deepEqual(body.servers, [
      { server: 'github', count: 5, p50: 30, p95: 50, p99: 50 },
      { server: 'linear', count: 4, p50: 200, p95: 400, p99: 400 },
    ]);
    assert.deepEqual(body.tools, [
      { server: 'linear', tool: 'list_issues', count: 4, p50: 200, p95: 400, p99: 400 },
      { server: 'github', tool: 'search', count: 3, p50: 20, p95: 30, p99: 30 },
      { server: 'github', tool: 'create_issue', count: 1, p50: 40, p95: 40, p99: 40 },
    ]);
  });

  it('gives p50, p95 and p99 per bucket over time, in the same buckets as the request counts', async () => {
    const body = await get(`latency?${RANGE}`);
    assert.equal(body.bucket, 'minute');
    // 10:00 holds 10, 20, 30; 10:01 holds 40, 50; 10:02 holds 100…400; 10:03… none (absent).
    assert.deepEqual(body.series, [
      { start: '2026-03-01T10:00:00.000Z', count: 3, p50: 20, p95: 30, p99: 30 },
      { start: '2026-03-01T10:01:00.000Z', count: 2, p50: 40, p95: 50, p99: 50 },
      { start: '2026-03-01T10:02:00.000Z', count: 4, p50: 200, p95: 400, p99: 400 },
    ]);
    // All nine in one hour: ranks ⌈4.5⌉ = 5, ⌈8.55⌉ = 9, ⌈8.91⌉ = 9.
    const hourly = await get(`latency?${RANGE}&bucket=hour`);
    assert.equal(hourly.bucket, 'hour');
    assert.deepEqual(hourly.series, [
      { start: '2026-03-01T10:00:00.000Z', count: 9, p50: 50, p95: 400, p99: 400 },
    ]);
    const github = await get(`latency?${RANGE}&server=github`);
    assert.deepEqual(
      github.series.map((b: { count: number; p50: number }) => [b.count, b.p50]),
      [
        [3, 20],
        [2, 40],
      ],
    );
    const day = await get('latency?since=2026-02-01T00:00:00Z&until=2026-03-05T00:00:00Z');
    assert.equal(day.bucket, 'day');
    assert.deepEqual(
      day.series.map((b: { start: string; count: number }) => [b.start, b.count]),
      [['2026-03-01T00:00:00.000Z', 11]],
    );
  });

  it('ranks tools and members by requests, with errors and mean latency', async () => {
    const tools = await get(`top-tools?${RANGE}`);
    assert.deepEqual(tools.tools, [
      {
        server: 'linear',
        tool: 'list_issues',
        requests: 4,
        errors: 2,
        errorRate: 0.5,
        avgLatencyMs: 250,
      },
      { server: 'github', tool: 'search', requests: 3, errors: 0, errorRate: 0, avgLatencyMs: 20 },
      {
        server: 'github',
        tool: 'create_issue',
        requests: 1,
        errors: 1,
        errorRate: 1,
        avgLatencyMs: 40,
      },
    ]);
    const members = await get(`top-members?${RANGE}`);
    assert.deepEqual(members.members, [
      {
        userId: t.users.member.id,
        email: 'member@acme.test',
        requests: 5,
        errors: 2,
        errorRate: 0.4,
        avgLatencyMs: 154,
      },
      {
        userId: t.users.admin.id,
        email: 'admin@acme.test',
        requests: 4,
        errors: 1,
        errorRate: 0.25,
        avgLatencyMs: 95,
      },
    ]);
    const limited = await get(`top-tools?${RANGE}&limit=1`);
    assert.equal(limited.tools.length, 1);
  });

  it('breaks errors down by code and reason', async () => {
    const body = await get(`errors?${RANGE}`);
    assert.equal(body.total, 3);
    assert.deepEqual(
      body.errors.map((e: { code: number; reason: string; count: number; share: number }) => [
        e.code,
        e.reason,
        e.count,
        e.share,
      ]),
      [
        [-32602, 'Unknown tool', 1, 1 / 3],
        [-32002, 'upstream_timeout', 1, 1 / 3],
        [-32001, 'upstream_unavailable', 1, 1 / 3],
      ],
    );
  });

  it('reports per-server health: uptime from upstream failures, recent failures newest first', async () => {
    const body = await get(`health?${RANGE}`);
    const [github, linear] = body.servers;
    assert.deepEqual(
      { ...github, recentFailures: github.recentFailures.map((f: { id: string }) => f.id) },
      {
        server: 'github',
        requests: 5,
        errors: 1,
        upstreamFailures: 0,
        uptimeRatio: 1,
        lastRequestAt: '2026-03-01T10:01:30.000Z',
        recentFailures: ['g4'],
      },
    );
    assert.equal(linear.uptimeRatio, 0.5);
    assert.equal(linear.upstreamFailures, 2);
    assert.deepEqual(
      linear.recentFailures.map((f: { id: string; errorMessage: string }) => [
        f.id,
        f.errorMessage,
      ]),
      [
        ['l3', 'upstream_timeout'],
        ['l1', 'upstream_unavailable'],
      ],
    );
    const quiet = await get('health?since=2020-01-01T00:00:00Z&until=2020-01-02T00:00:00Z');
    assert.deepEqual(
      quiet.servers.map((s: { server: string; requests: number; uptimeRatio: null }) => [
        s.server,
        s.requests,
        s.uptimeRatio,
      ]),
      [
        ['github', 0, null],
        ['linear', 0, null],
      ],
    );
  });

  it('gives members figures over their own calls only', async () => {
    const body = await get(`requests?${RANGE}`, 'member');
    // The member reaches github only (their membership), and sees their own records there.
    assert.deepEqual(body.totals, { requests: 3, errors: 1 });
    const members = await get(`top-members?${RANGE}`, 'member');
    assert.deepEqual(
      members.members.map((m: { userId: string }) => m.userId),
      [t.users.member.id],
    );
  });
});
