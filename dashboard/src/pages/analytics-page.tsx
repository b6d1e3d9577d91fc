/**
 * Analytics over the workspace's request records (the caller's own for
 * members and viewers): requests, errors and latency percentiles over time,
 * latency percentiles per server and per tool, the top tools and members, errors by reason and
 * each server's health, for a range kept in the URL.
 */
import { useMemo } from 'react';
import type { FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorBanner } from '../components/error-banner';
import { BarChart } from '../components/obs-chart-bars';
import { LatencyChart } from '../components/obs-chart-latency';
import { TimeSeriesChart } from '../components/obs-chart-time';
import { useDirectory } from '../components/obs-directory';
import type { Directory } from '../components/obs-directory';
import { TimeRangeFields, formText, readTimeRange } from '../components/obs-time-range';
import {
  ErrorsTable,
  HealthTable,
  LatencyTable,
  TopMembersTable,
  TopToolsTable,
  figure,
} from '../components/obs-analytics-tables';
import { PageHeader } from '../components/page-header';
import { formatCount, formatMs } from '../format';
import {
  ANALYTICS_DEFAULT_RANGE,
  ANALYTICS_RANGES,
  analyticsQuery,
  analyticsSearch,
  parseAnalyticsView,
} from '../observability/analytics-range';
import type { AnalyticsView } from '../observability/analytics-range';
import { BUCKET_MS, fillBuckets } from '../observability/chart-scale';
import { fillLatency } from '../observability/latency-series';
import { useWorkspaceId } from '../session';

function RangeForm({
  view,
  directory,
  onApply,
}: {
  view: AnalyticsView;
  directory: Directory;
  onApply: (view: AnalyticsView) => void;
}) {
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const server = formText(data, 'server');
    onApply({
      ...readTimeRange(data, ANALYTICS_DEFAULT_RANGE),
      ...(server === '' ? {} : { server }),
    });
  }
  return (
    <form className="filters panel obs-filters" aria-label="Range" onSubmit={submit}>
      <TimeRangeFields value={view} choices={ANALYTICS_RANGES} />
      <div>
        <label htmlFor="analytics-server">Server</label>
        <select id="analytics-server" name="server" defaultValue={view.server ?? ''}>
          <option value="">All servers</option>
          {directory.servers.map((server) => (
            <option key={server.id} value={server.id}>
              {server.name}
            </option>
          ))}
        </select>
      </div>
      <div className="form-actions">
        <button type="submit" className="primary">
          Show
        </button>
      </div>
    </form>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <div className="muted">{label}</div>
      <div className="value">{value}</div>
    </div>
  );
}

export function AnalyticsPage() {
  const workspaceId = useWorkspaceId();
  const search = useSearch();
  const [, navigate] = useLocation();
  const view = useMemo(() => parseAnalyticsView(search), [search]);
  const directory = useDirectory(workspaceId);
  // One `now` per view, so every panel covers the same range.
  const query = useMemo(() => analyticsQuery(view, new Date()), [view]);
  const path = { workspaceId };
  const deps = [workspaceId, query];
  const requests = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/analytics/requests', { path, query, signal }),
    deps,
  );
  const latency = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/analytics/latency', { path, query, signal }),
    deps,
  );
  const tools = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/analytics/top-tools', { path, query, signal }),
    deps,
  );
  const members = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/analytics/top-members', { path, query, signal }),
    deps,
  );
  const errors = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/analytics/errors', { path, query, signal }),
    deps,
  );
  const health = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/analytics/health', { path, query, signal }),
    deps,
  );
  const failed = [requests, latency, tools, members, errors, health].find(
    (r) => r.error !== undefined,
  );
  const reloadAll = () => {
    for (const loaded of [requests, latency, tools, members, errors, health]) loaded.reload();
  };

  function apply(next: AnalyticsView) {
    const text = analyticsSearch(next);
    navigate(text === '' ? '/analytics' : `/analytics?${text}`);
  }

  const series = requests.data;
  const buckets =
    series === undefined
      ? []
      : fillBuckets(series.series, series.since, series.until, BUCKET_MS[series.bucket]);
  const totals = series?.totals;
  const latencySlots =
    latency.data === undefined
      ? []
      : fillLatency(
          latency.data.series,
          latency.data.since,
          latency.data.until,
          BUCKET_MS[latency.data.bucket],
        );
  const email = (userId: string | null, known: string | null) =>
    known ?? directory.email(userId) ?? userId ?? 'anonymous';

  return (
    <section>
      <PageHeader
        title="Analytics"
        description="Requests, errors and latency of the MCP messages through this workspace."
      />
      <RangeForm key={search} view={view} directory={directory} onApply={apply} />
      {failed?.error !== undefined ? <ErrorBanner error={failed.error} retry={reloadAll} /> : null}
      <div className="grid-cards obs-stats" aria-live="polite">
        <Stat label="Requests" value={totals === undefined ? '…' : formatCount(totals.requests)} />
        <Stat label="Errors" value={totals === undefined ? '…' : formatCount(totals.errors)} />
        <Stat
          label="Error rate"
          value={
            totals === undefined
              ? '…'
              : totals.requests === 0
                ? '—'
                : `${((100 * totals.errors) / totals.requests).toFixed(1)} %`
          }
        />
      </div>
      <h2>Requests and errors over time</h2>
      {series !== undefined ? (
        <TimeSeriesChart title="Requests" buckets={buckets} bucket={series.bucket} />
      ) : (
        <p aria-live="polite">Loading…</p>
      )}
      <h2>Latency over time</h2>
      {latency.data !== undefined ? (
        <LatencyChart title="Latency" slots={latencySlots} bucket={latency.data.bucket} />
      ) : (
        <p aria-live="polite">Loading…</p>
      )}
      <h2>Latency per server and tool</h2>
      {latency.data !== undefined && latency.data.servers.length > 0 ? (
        <BarChart
          title="Latency per server"
          series={['p50', 'p95', 'p99']}
          integer={false}
          format={(value) => (value === 0 ? '0' : formatMs(value))}
          rows={latency.data.servers.map((row) => ({
            key: row.server,
            label: row.server,
            values: [figure(row.p50), figure(row.p95), figure(row.p99)],
          }))}
          summary={`Latency per server: ${latency.data.servers
            .map(
              (row) =>
                `${row.server} p50 ${formatMs(figure(row.p50))}, p95 ${formatMs(figure(row.p95))}, p99 ${formatMs(figure(row.p99))}`,
            )
            .join('; ')}.`}
        />
      ) : latency.data !== undefined ? (
        <p className="muted">No requests in this range.</p>
      ) : null}
      {latency.data !== undefined ? <LatencyTable data={latency.data} /> : null}
      <h2>Top tools</h2>
      {tools.data !== undefined && tools.data.tools.length > 0 ? (
        <BarChart
          title="Most called tools"
          series={['calls', 'errors']}
          format={formatCount}
          rows={tools.data.tools.map((row) => ({
            key: `${row.server}\u0000${row.tool ?? ''}`,
            label: `${row.tool ?? '(no name)'} · ${row.server}`,
            values: [row.requests, row.errors],
          }))}
          summary={`Most called tools: ${tools.data.tools
            .map(
              (row) =>
                `${row.tool ?? '(no name)'} on ${row.server}: ${row.requests} calls, ${row.errors} errors`,
            )
            .join('; ')}.`}
        />
      ) : null}
      {tools.data !== undefined ? (
        tools.data.tools.length > 0 ? (
          <TopToolsTable data={tools.data} />
        ) : (
          <p className="muted">No tool calls in this range.</p>
        )
      ) : null}
      <h2>Top members</h2>
      {members.data !== undefined && members.data.members.length > 0 ? (
        <BarChart
          title="Members with the most requests"
          series={['requests', 'errors']}
          format={formatCount}
          rows={members.data.members.map((row) => ({
            key: row.userId ?? '',
            label: email(row.userId, row.email),
            values: [row.requests, row.errors],
          }))}
          summary={`Members with the most requests: ${members.data.members
            .map(
              (row) =>
                `${email(row.userId, row.email)}: ${row.requests} requests, ${row.errors} errors`,
            )
            .join('; ')}.`}
        />
      ) : null}
      {members.data !== undefined && members.data.members.length > 0 ? (
        <TopMembersTable data={members.data} email={email} />
      ) : null}
      <h2>Errors</h2>
      {errors.data !== undefined ? <ErrorsTable data={errors.data} /> : null}
      <h2>Server health</h2>
      {health.data !== undefined ? <HealthTable data={health.data} /> : null}
    </section>
  );
}
