/**
 * The metrics that do not come from request records: counters other parts
 * increment (upstream token refreshes) and gauges read at scrape time
 * (record queue, span export queue, stdio processes, the process itself).
 */
import type { StdioState } from '../upstream/stdio-supervisor.ts';
import type { Exposition } from './metrics-text.ts';

export const OTHER_SERIES = '_other';

export interface RecordQueueStats {
  readonly queued: number;
  readonly written: number;
  readonly dropped: number;
  readonly failed: number;
}

export interface SpanExportStats {
  readonly queued: number;
  readonly exported: number;
  readonly dropped: number;
  readonly failed: number;
}

/** Read at every scrape; each one is optional. */
export interface MetricSources {
  records?: () => RecordQueueStats;
  spans?: () => SpanExportStats;
  /** The stdio servers this instance knows, with their process state (undefined: never started). */
  stdio?: () => Iterable<{
    readonly workspace: string;
    readonly server: string;
    readonly state: StdioState | undefined;
  }>;
}

/** Counted by upstream credentials each time a token is refreshed (or fails to be). */
export interface RefreshCounter {
  inc(labels: { readonly server: string; readonly outcome: string }): void;
}

/** A refresh counter with at most `maxSeries` (server, outcome) pairs; more count as `_other`. */
export function createRefreshCounter(maxSeries: number): RefreshCounter & {
  render(out: Exposition): void;
} {
  const entries = new Map<string, { server: string; outcome: string; count: number }>();
  const overflowKey = `${OTHER_SERIES}\n${OTHER_SERIES}`;
  return {
    inc({ server, outcome }) {
      const key = `${server}\n${outcome}`;
      let entry =
        entries.get(key) ?? (entries.size >= maxSeries ? entries.get(overflowKey) : undefined);
      if (entry === undefined) {
        entry =
          entries.size >= maxSeries
            ? { server: OTHER_SERIES, outcome: OTHER_SERIES, count: 0 }
            : { server, outcome, count: 0 };
        entries.set(entries.size >= maxSeries ? overflowKey : key, entry);
      }
      entry.count++;
    },
    render(out) {
      out.family(
        'portcullis_upstream_token_refreshes_total',
        'counter',
        'Upstream OAuth token refreshes, by server and outcome.',
      );
      for (const entry of entries.values())
        out.sample(
          'portcullis_upstream_token_refreshes_total',
          { server: entry.server, outcome: entry.outcome },
          entry.count,
        );
    },
  };
}

function stdioStateName(state: StdioState | undefined): 'running' | 'backoff' | 'stopped' {
  if (state?.running === true) return 'running';
  if (state !== undefined && state.backoffMs > 0) return 'backoff';
  return 'stopped';
}

function renderStdio(out: Exposition, sources: MetricSources): void {
  const stdio = sources.stdio === undefined ? [] : [...sources.stdio()];
  out.family(
    'portcullis_stdio_processes',
    'gauge',
    'stdio servers of this instance, by process state.',
  );
  const states = { running: 0, backoff: 0, stopped: 0 };
  for (const entry of stdio) states[stdioStateName(entry.state)]++;
  for (const [state, count] of Object.entries(states))
    out.sample('portcullis_stdio_processes', { state }, count);
  out.family(
    'portcullis_stdio_restarts_total',
    'counter',
    'Unexpected exits of a stdio server process.',
  );
  for (const entry of stdio)
    out.sample(
      'portcullis_stdio_restarts_total',
      { workspace: entry.workspace, server: entry.server },
      entry.state?.restarts ?? 0,
    );
}

function renderQueue(
  out: Exposition,
  prefix: string,
  depthHelp: string,
  counters: readonly (readonly [string, number, string])[],
  queued: number,
): void {
  out.family(`${prefix}_queue_depth`, 'gauge', depthHelp);
  out.sample(`${prefix}_queue_depth`, {}, queued);
  for (const [name, value, help] of counters) {
    out.family(name, 'counter', help);
    out.sample(name, {}, value);
  }
}

export function renderSources(out: Exposition, sources: MetricSources): void {
  renderStdio(out, sources);
  if (sources.records !== undefined) {
    const stats = sources.records();
    renderQueue(
      out,
      'portcullis_record',
      'Request records waiting to be written.',
      [
        ['portcullis_records_written_total', stats.written, 'Request records stored.'],
        [
          'portcullis_records_dropped_total',
          stats.dropped,
          'Request records dropped: the queue was full.',
        ],
        [
          'portcullis_records_failed_total',
          stats.failed,
          'Request records the store refused twice.',
        ],
      ],
      stats.queued,
    );
  }
  if (sources.spans !== undefined) {
    const stats = sources.spans();
    renderQueue(
      out,
      'portcullis_otlp_span',
      'Spans waiting to be exported.',
      [
        [
          'portcullis_otlp_spans_exported_total',
          stats.exported,
          'Spans the OTLP collector accepted.',
        ],
        [
          'portcullis_otlp_spans_dropped_total',
          stats.dropped,
          'Spans dropped: the export queue was full.',
        ],
        [
          'portcullis_otlp_spans_failed_total',
          stats.failed,
          'Spans whose export failed or was rejected.',
        ],
      ],
      stats.queued,
    );
  }
}

export function renderProcess(out: Exposition, startedAt: number): void {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  out.family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, in seconds.');
  out.sample('process_cpu_seconds_total', {}, (cpu.user + cpu.system) / 1e6);
  out.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.');
  out.sample('process_resident_memory_bytes', {}, memory.rss);
  out.family(
    'process_start_time_seconds',
    'gauge',
    'Start time of the process, in seconds since the Unix epoch.',
  );
  out.sample('process_start_time_seconds', {}, startedAt);
  out.family('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use, in bytes.');
  out.sample('nodejs_heap_used_bytes', {}, memory.heapUsed);
}

/** The stdio servers of the route table with their process state on this instance. */
export function stdioSource(
  servers: () => readonly {
    readonly workspaceId: string;
    readonly id: string;
    readonly transport: string;
  }[],
  stateOf: (serverKey: string) => StdioState | undefined,
): NonNullable<MetricSources['stdio']> {
  return () =>
    servers()
      .filter((server) => server.transport === 'stdio')
      .map((server) => ({
        workspace: server.workspaceId,
        server: server.id,
        state: stateOf(`${server.workspaceId}/${server.id}`),
      }));
}
