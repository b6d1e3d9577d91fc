/**
 * Prometheus metrics of the gateway, derived from the finished request
 * record (one observation per record) plus gauges read at scrape time.
 *
 * Label sets are bounded: `method` comes from a fixed list (anything else is
 * `other`), `status` is ok|error, and at most `maxServerSeries`
 * (workspace, server) pairs get series of their own; later ones are counted
 * under `_other`. An observation allocates nothing once its series exists.
 */
import { createExposition } from './metrics-text.ts';
import type { Exposition } from './metrics-text.ts';
import {
  OTHER_SERIES,
  createRefreshCounter,
  renderProcess,
  renderSources,
} from './metrics-sources.ts';
import type { MetricSources, RefreshCounter } from './metrics-sources.ts';
import type { RequestRecord } from './request-record.ts';

/** Methods with series of their own, in the order they are listed. */
export const METRIC_METHODS = [
  'initialize',
  'ping',
  'server/discover',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'subscriptions/listen',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  '(response)',
  '(batch)',
  'GET',
  'DELETE',
  'other',
] as const;

const OTHER_METHOD = METRIC_METHODS.length - 1;
const METHOD_INDEX = new Map<string, number>(METRIC_METHODS.map((method, i) => [method, i]));
export { OTHER_SERIES };
export type { MetricSources, RefreshCounter };

/** Seconds; from a cached `tools/list` to a slow tool call. */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
] as const;

interface Histogram {
  readonly counts: Float64Array;
  sum: number;
}

interface MethodSeries {
  ok: number;
  error: number;
  readonly duration: Histogram;
  readonly upstream: Histogram;
}

interface ServerSeries {
  readonly workspace: string;
  readonly server: string;
  readonly methods: (MethodSeries | undefined)[];
  bytesIn: number;
  bytesOut: number;
  sessionsStarted: number;
}

export interface Metrics {
  /** One finished request record. Never throws. */
  observe(record: RequestRecord): void;
  readonly upstreamRefreshes: RefreshCounter;
  /** Adds or replaces scrape-time sources. */
  watch(sources: MetricSources): void;
  /** The whole exposition, text format 0.0.4. */
  render(): string;
}

export interface MetricsOptions {
  /** Most (workspace, server) pairs with series of their own; default 500. */
  readonly maxServerSeries?: number;
  /** Most (server, outcome) pairs of refresh counters; default 1000. */
  readonly maxRefreshSeries?: number;
}

const newHistogram = (): Histogram => ({
  counts: new Float64Array(DURATION_BUCKETS.length + 1),
  sum: 0,
});

function observeSeconds(histogram: Histogram, ms: number): void {
  const seconds = ms / 1000;
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
  histogram.counts[i]!++;
  histogram.sum += seconds;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const maxServerSeries = options.maxServerSeries ?? 500;
  const byWorkspace = new Map<string, Map<string, ServerSeries>>();
  const all: ServerSeries[] = [];
  let overflow: ServerSeries | undefined;
  let overflowed = 0;
  const upstreamRefreshes = createRefreshCounter(options.maxRefreshSeries ?? 1000);
  const sources: MetricSources = {};
  const startedAt = Date.now() / 1000 - process.uptime();

  const newSeries = (workspace: string, server: string): ServerSeries => {
    const series: ServerSeries = {
      workspace,
      server,
      methods: new Array<MethodSeries | undefined>(METRIC_METHODS.length).fill(undefined),
      bytesIn: 0,
      bytesOut: 0,
      sessionsStarted: 0,
    };
    all.push(series);
    return series;
  };

  const seriesFor = (workspace: string, server: string): ServerSeries => {
    let servers = byWorkspace.get(workspace);
    const found = servers?.get(server);
    if (found !== undefined) return found;
    if (all.length - (overflow === undefined ? 0 : 1) >= maxServerSeries) {
      overflowed++;
      return (overflow ??= newSeries(OTHER_SERIES, OTHER_SERIES));
    }
    if (servers === undefined)
      byWorkspace.set(workspace, (servers = new Map<string, ServerSeries>()));
    const series = newSeries(workspace, server);
    servers.set(server, series);
    return series;
  };

  function observe(record: RequestRecord): void {
    try {
      const series = seriesFor(record.workspaceId, record.serverId);
      const index = METHOD_INDEX.get(record.method) ?? OTHER_METHOD;
      const method = (series.methods[index] ??= {
        ok: 0,
        error: 0,
        duration: newHistogram(),
        upstream: newHistogram(),
      });
      if (record.status === 'error') method.error++;
      else method.ok++;
      observeSeconds(method.duration, record.latencyMs);
      if (record.upstreamLatencyMs !== null)
        observeSeconds(method.upstream, record.upstreamLatencyMs);
      series.bytesIn += record.bytesIn;
      series.bytesOut += record.bytesOut;
      if (record.method === 'initialize' && record.era === 'legacy' && record.status === 'ok')
        series.sessionsStarted++;
    } catch {
      // Telemetry never breaks a request.
    }
  }

  function renderRequests(out: Exposition): void {
    out.family(
      'portcullis_mcp_requests_total',
      'counter',
      'MCP messages handled, by workspace, server, method and outcome (one per request record).',
    );
    for (const series of all)
      series.methods.forEach((method, i) => {
        if (method === undefined) return;
        const labels = { workspace: series.workspace, server: series.server };
        const name = METRIC_METHODS[i]!;
        out.sample(
          'portcullis_mcp_requests_total',
          { ...labels, method: name, status: 'ok' },
          method.ok,
        );
        out.sample(
          'portcullis_mcp_requests_total',
          { ...labels, method: name, status: 'error' },
          method.error,
        );
      });
    const histograms = [
      [
        'portcullis_mcp_request_duration_seconds',
        'duration',
        'Time the gateway spent on an MCP message, end to end.',
      ],
      [
        'portcullis_mcp_upstream_duration_seconds',
        'upstream',
        'Time spent waiting for the upstream server’s answer.',
      ],
    ] as const;
    for (const [name, field, help] of histograms) {
      out.family(name, 'histogram', help);
      for (const series of all)
        series.methods.forEach((method, i) => {
          if (method === undefined) return;
          const histogram = method[field];
          if (field === 'upstream' && histogram.counts.every((count) => count === 0)) return;
          out.histogram(
            name,
            { workspace: series.workspace, server: series.server, method: METRIC_METHODS[i]! },
            DURATION_BUCKETS,
            histogram.counts,
            histogram.sum,
          );
        });
    }
    const perServer = [
      ['portcullis_mcp_received_bytes_total', 'bytesIn', 'Bytes of MCP request bodies received.'],
      ['portcullis_mcp_sent_bytes_total', 'bytesOut', 'Bytes of MCP answers sent.'],
      [
        'portcullis_legacy_sessions_started_total',
        'sessionsStarted',
        'Legacy-era sessions opened (successful initialize); sessions are sealed tokens, so open ones are not countable.',
      ],
    ] as const;
    for (const [name, field, help] of perServer) {
      out.family(name, 'counter', help);
      for (const series of all)
        out.sample(name, { workspace: series.workspace, server: series.server }, series[field]);
    }
    out.family(
      'portcullis_metrics_series_overflow_total',
      'counter',
      `Request records counted under workspace and server "${OTHER_SERIES}" because the series cap was reached.`,
    );
    out.sample('portcullis_metrics_series_overflow_total', {}, overflowed);
  }

  return {
    observe,
    upstreamRefreshes: { inc: (labels) => upstreamRefreshes.inc(labels) },
    watch(more) {
      Object.assign(sources, more);
    },
    render() {
      const out = createExposition();
      renderRequests(out);
      upstreamRefreshes.render(out);
      renderSources(out, sources);
      renderProcess(out, startedAt);
      return out.text();
    },
  };
}
