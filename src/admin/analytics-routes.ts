/**
 * Analytics over request records, under /api/v1. Counts, sums and means are
 * computed by the database (GROUP BY, both dialects). Percentiles are not:
 * SQLite has no percentile function, so p50/p95/p99 are computed here, by
 * nearest rank, over the newest LATENCY_SAMPLE matching records (`sampled`
 * says when the range held more, and then the oldest buckets of the latency
 * series are partial or absent). Every route reads the caller's scope
 * (record-scope.ts): admins see the workspace, others their own calls.
 *
 * Health: a server's `uptimeRatio` is the share of its requests in the range
 * that the upstream did not fail (unreachable, timed out, broken protocol);
 * refusals and tool errors are answers, not downtime.
 */
import { z } from 'zod';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute, invalidInput } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { recordFilterFields, recordScope } from './record-scope.ts';
import { workspaceParams } from './workspaces-routes.ts';

export const LATENCY_SAMPLE = 50_000;
const DEFAULT_RANGE_MS = 24 * 3_600_000;
const MAX_BUCKETS = 1_500;
const BUCKETS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
type BucketName = keyof typeof BUCKETS;

const rangeQuery = z.strictObject({
  ...recordFilterFields,
  bucket: z.enum(['minute', 'hour', 'day']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
type RangeQuery = z.output<typeof rangeQuery>;

/** Minute buckets up to 2 hours, hours up to 3 days, days beyond. */
export function bucketFor(rangeMs: number): BucketName {
  if (rangeMs <= 2 * 3_600_000) return 'minute';
  if (rangeMs <= 3 * 86_400_000) return 'hour';
  return 'day';
}

/**
 * The bucket a series uses: the query's, else the one `bucketFor` picks;
 * refused when the range would hold more than MAX_BUCKETS of it.
 */
function seriesBucket(range: { since: Date; until: Date }, asked: BucketName | undefined) {
  const span = range.until.getTime() - range.since.getTime();
  const bucket = asked ?? bucketFor(span);
  if (span / BUCKETS[bucket] > MAX_BUCKETS)
    throw invalidInput([
      {
        path: 'query.bucket',
        message: `more than ${MAX_BUCKETS} ${bucket}s in the range; choose a larger bucket or a shorter range`,
      },
    ]);
  return bucket;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

function latencyFigures(values: number[]) {
  values.sort((a, b) => a - b);
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
  };
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

export function createAnalyticsRoutes(deps: AdminDeps): ApiRoute[] {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());

  /** The caller's scope over the range (the last 24 hours unless given). */
  async function scoped(
    caller: Parameters<typeof recordScope>[1],
    workspaceId: string,
    query: RangeQuery,
  ) {
    const until = query.until ?? now().toISOString();
    const since =
      query.since ?? new Date(new Date(until).getTime() - DEFAULT_RANGE_MS).toISOString();
    const scope = await recordScope(deps, caller, workspaceId, { ...query, since, until });
    const range = { since: new Date(since), until: new Date(until) };
    return { ...scope, range };
  }

  const range = (r: { since: Date; until: Date }) => ({
    since: r.since.toISOString(),
    until: r.until.toISOString(),
  });

  const group = z.object({
    requests: z.number(),
    errors: z.number(),
    errorRate: z.number().nullable(),
    avgLatencyMs: z.number(),
  });

  return [
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/analytics/requests',
      tag: 'analytics',
      summary:
        'Requests and errors over time, bucketed by minute, hour or day (chosen from the range unless given)',
      params: workspaceParams,
      query: rangeQuery,
      response: z.object({
        since: z.string(),
        until: z.string(),
        bucket: z.enum(['minute', 'hour', 'day']),
        totals: z.object({ requests: z.number(), errors: z.number() }),
        series: z.array(z.object({ start: z.string(), requests: z.number(), errors: z.number() })),
      }),
      async handle({ caller, params, query }) {
        const scope = await scoped(caller, params.workspaceId, query);
        const bucket = seriesBucket(scope.range, query.bucket);
        const series = await store.requestRecords.timeSeries(scope.query, BUCKETS[bucket]);
        return {
          ...range(scope.range),
          bucket,
          totals: {
            requests: series.reduce((sum, b) => sum + b.requests, 0),
            errors: series.reduce((sum, b) => sum + b.errors, 0),
          },
          series: series.map((b) => ({
            start: b.start.toISOString(),
            requests: b.requests,
            errors: b.errors,
          })),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/analytics/latency',
      tag: 'analytics',
      summary:
        'Latency percentiles (p50, p95, p99, milliseconds, nearest rank) per server, per tool and over time',
      params: workspaceParams,
      query: rangeQuery,
      response: z.object({
        since: z.string(),
        until: z.string(),
        sampled: z.boolean(),
        bucket: z.enum(['minute', 'hour', 'day']),
        servers: z.array(z.object({ server: z.string() }).loose()),
        tools: z.array(z.object({ server: z.string(), tool: z.string() }).loose()),
        series: z
          .array(
            z.object({
              start: z.string(),
              count: z.number(),
              p50: z.number(),
              p95: z.number(),
              p99: z.number(),
            }),
          )
          .describe(
            'Percentiles per bucket (same buckets as …/analytics/requests, aligned on the Unix epoch), oldest first; buckets without requests are absent',
          ),
      }),
      async handle({ caller, params, query }) {
        const scope = await scoped(caller, params.workspaceId, query);
        const bucket = seriesBucket(scope.range, query.bucket);
        const bucketMs = BUCKETS[bucket];
        const rows = await store.requestRecords.latencies(scope.query, LATENCY_SAMPLE);
        const servers = new Map<string, number[]>();
        const tools = new Map<string, { server: string; tool: string; values: number[] }>();
        const buckets = new Map<number, number[]>();
        for (const row of rows) {
          const start = Math.floor(row.time.getTime() / bucketMs) * bucketMs;
          let inBucket = buckets.get(start);
          if (inBucket === undefined) buckets.set(start, (inBucket = []));
          inBucket.push(row.latencyMs);
          let values = servers.get(row.serverId);
          if (values === undefined) servers.set(row.serverId, (values = []));
          values.push(row.latencyMs);
          if (row.method !== 'tools/call' || row.target === null) continue;
          const key = `${row.serverId}\u0000${row.target}`;
          let tool = tools.get(key);
          if (tool === undefined)
            tools.set(key, (tool = { server: row.serverId, tool: row.target, values: [] }));
          tool.values.push(row.latencyMs);
        }
        return {
          ...range(scope.range),
          sampled: rows.length === LATENCY_SAMPLE,
          bucket,
          servers: [...servers]
            .map(([server, values]) => ({ server, ...latencyFigures(values) }))
            .sort((a, b) => a.server.localeCompare(b.server)),
          tools: [...tools.values()]
            .map(({ server, tool, values }) => ({ server, tool, ...latencyFigures(values) }))
            .sort((a, b) => b.count - a.count || a.tool.localeCompare(b.tool)),
          series: [...buckets]
            .sort(([a], [b]) => a - b)
            .map(([start, values]) => {
              const figures = latencyFigures(values);
              // A bucket exists only with a value in it, so no percentile is null.
              return {
                start: new Date(start).toISOString(),
                count: figures.count,
                p50: figures.p50!,
                p95: figures.p95!,
                p99: figures.p99!,
              };
            }),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/analytics/top-tools',
      tag: 'analytics',
      summary: 'The most called tools (tools/call), with errors and mean latency',
      params: workspaceParams,
      query: rangeQuery,
      response: z.object({
        tools: z.array(group.extend({ server: z.string(), tool: z.string().nullable() })),
      }),
      async handle({ caller, params, query }) {
        const scope = await scoped(caller, params.workspaceId, query);
        const groups = await store.requestRecords.groupBy(
          { ...scope.query, method: 'tools/call' },
          'tool',
          query.limit,
        );
        return {
          tools: groups.map((g) => ({
            server: String(g.keys[0]),
            tool: g.keys[1] === null ? null : String(g.keys[1]),
            requests: g.requests,
            errors: g.errors,
            errorRate: ratio(g.errors, g.requests),
            avgLatencyMs: g.avgLatencyMs,
          })),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/analytics/top-members',
      tag: 'analytics',
      summary: 'The members with the most requests (every message), with errors and mean latency',
      params: workspaceParams,
      query: rangeQuery,
      response: z.object({
        members: z.array(
          group.extend({ userId: z.string().nullable(), email: z.string().nullable() }),
        ),
      }),
      async handle({ caller, params, query }) {
        const scope = await scoped(caller, params.workspaceId, query);
        const groups = await store.requestRecords.groupBy(scope.query, 'member', query.limit);
        const members = await Promise.all(
          groups.map(async (g) => {
            const userId = g.keys[0] === null ? null : String(g.keys[0]);
            const user = userId === null ? undefined : await store.users.find(userId);
            return {
              userId,
              email: user?.email ?? null,
              requests: g.requests,
              errors: g.errors,
              errorRate: ratio(g.errors, g.requests),
              avgLatencyMs: g.avgLatencyMs,
            };
          }),
        );
        return { members };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/analytics/errors',
      tag: 'analytics',
      summary: 'Errors by JSON-RPC code and reason (catalogue code or upstream message)',
      params: workspaceParams,
      query: rangeQuery,
      response: z.object({
        total: z.number(),
        errors: z.array(
          z.object({
            code: z.number().nullable(),
            reason: z.string().nullable(),
            count: z.number(),
            share: z.number(),
            lastTime: z.string(),
          }),
        ),
      }),
      async handle({ caller, params, query }) {
        const scope = await scoped(caller, params.workspaceId, query);
        const errorsOnly = { ...scope.query, status: 'error' as const };
        const [total, groups] = await Promise.all([
          store.requestRecords.count(errorsOnly),
          store.requestRecords.groupBy(errorsOnly, 'error', query.limit),
        ]);
        return {
          total,
          errors: groups.map((g) => ({
            code: g.keys[0] === null ? null : Number(g.keys[0]),
            reason: g.keys[1] === null ? null : String(g.keys[1]),
            count: g.requests,
            share: g.requests / total,
            lastTime: g.lastTime.toISOString(),
          })),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/analytics/health',
      tag: 'analytics',
      summary:
        'Per-server health over the range: requests, errors, uptime ratio (requests the upstream did not fail), last request, recent failures',
      params: workspaceParams,
      query: rangeQuery,
      response: z.object({
        servers: z.array(
          z.object({
            server: z.string(),
            requests: z.number(),
            errors: z.number(),
            upstreamFailures: z.number(),
            uptimeRatio: z.number().nullable(),
            lastRequestAt: z.string().nullable(),
            recentFailures: z.array(z.object({ id: z.string(), time: z.string() }).loose()),
          }),
        ),
      }),
      async handle({ caller, params, query }) {
        const scope = await scoped(caller, params.workspaceId, query);
        const known = (await store.servers.list(params.workspaceId))
          .map((server) => server.id)
          .filter(
            (id) =>
              (query.server === undefined || id === query.server) &&
              (scope.query.serverIds === undefined || scope.query.serverIds.includes(id)),
          );
        const groups = new Map(
          (await store.requestRecords.groupBy(scope.query, 'server', 1_000)).map((g) => [
            String(g.keys[0]),
            g,
          ]),
        );
        const ids = [...new Set([...known, ...groups.keys()])].sort();
        const servers = await Promise.all(
          ids.map(async (server) => {
            const g = groups.get(server);
            const failures = await store.requestRecords.list({
              ...scope.query,
              serverId: server,
              status: 'error',
              limit: query.limit,
            });
            return {
              server,
              requests: g?.requests ?? 0,
              errors: g?.errors ?? 0,
              upstreamFailures: g?.upstreamFailures ?? 0,
              uptimeRatio: g === undefined ? null : 1 - g.upstreamFailures / g.requests,
              lastRequestAt: g === undefined ? null : g.lastTime.toISOString(),
              recentFailures: failures.map((r) => ({
                id: r.id,
                time: r.time.toISOString(),
                method: r.method,
                target: r.target,
                errorCode: r.errorCode,
                errorMessage: r.errorMessage,
              })),
            };
          }),
        );
        return { servers };
      },
    }),
  ];
}
