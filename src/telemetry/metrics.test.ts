import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from './metrics.ts';
import type { RequestRecord } from './request-record.ts';

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 'r1',
    time: new Date(),
    workspaceId: 'acme',
    serverId: 'everything',
    principalKind: 'api_key',
    principalId: 'u1',
    apiKeyId: 'k1',
    clientId: null,
    clientName: null,
    clientVersion: null,
    method: 'tools/call',
    target: 'echo',
    era: 'legacy',
    protocolVersion: '2025-11-25',
    sessionTag: 'tag',
    latencyMs: 12,
    upstreamLatencyMs: 10,
    status: 'ok',
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    bytesIn: 100,
    bytesOut: 50,
    arguments: null,
    result: null,
    traceId: null,
    ...overrides,
  };
}

function lines(text: string, prefix: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

describe('metrics', () => {
  it('counts records by workspace, server, method and status', () => {
    const metrics = createMetrics();
    metrics.observe(record());
    metrics.observe(record());
    metrics.observe(record({ status: 'error', errorCode: -32602 }));
    metrics.observe(record({ method: 'tools/list', target: null }));
    assert.deepEqual(lines(metrics.render(), 'portcullis_mcp_requests_total{'), [
      'portcullis_mcp_requests_total{workspace="acme",server="everything",method="tools/list",status="ok"} 1',
      'portcullis_mcp_requests_total{workspace="acme",server="everything",method="tools/list",status="error"} 0',
      'portcullis_mcp_requests_total{workspace="acme",server="everything",method="tools/call",status="ok"} 2',
      'portcullis_mcp_requests_total{workspace="acme",server="everything",method="tools/call",status="error"} 1',
    ]);
  });

  it('keeps the method label to a fixed set: unknown methods count as other', () => {
    const metrics = createMetrics();
    metrics.observe(record({ method: 'x/made-up-1' }));
    metrics.observe(record({ method: 'x/made-up-2' }));
    assert.deepEqual(lines(metrics.render(), 'portcullis_mcp_requests_total{'), [
      'portcullis_mcp_requests_total{workspace="acme",server="everything",method="other",status="ok"} 2',
      'portcullis_mcp_requests_total{workspace="acme",server="everything",method="other",status="error"} 0',
    ]);
  });

  it('writes cumulative latency histograms in seconds, with upstream time apart', () => {
    const metrics = createMetrics();
    metrics.observe(record({ latencyMs: 3, upstreamLatencyMs: 2 }));
    metrics.observe(record({ latencyMs: 700, upstreamLatencyMs: null }));
    metrics.observe(record({ latencyMs: 120_000, upstreamLatencyMs: 119_000 }));
    const text = metrics.render();
    const duration = lines(text, 'portcullis_mcp_request_duration_seconds');
    const labels = 'workspace="acme",server="everything",method="tools/call"';
    assert.ok(
      duration.includes(`portcullis_mcp_request_duration_seconds_bucket{${labels},le="0.001"} 0`),
    );
    assert.ok(
      duration.includes(`portcullis_mcp_request_duration_seconds_bucket{${labels},le="0.005"} 1`),
    );
    assert.ok(
      duration.includes(`portcullis_mcp_request_duration_seconds_bucket{${labels},le="1"} 2`),
    );
    assert.ok(
      duration.includes(`portcullis_mcp_request_duration_seconds_bucket{${labels},le="60"} 2`),
    );
    assert.ok(
      duration.includes(`portcullis_mcp_request_duration_seconds_bucket{${labels},le="+Inf"} 3`),
    );
    assert.ok(duration.includes(`portcullis_mcp_request_duration_seconds_sum{${labels}} 120.703`));
    assert.ok(duration.includes(`portcullis_mcp_request_duration_seconds_count{${labels}} 3`));
    assert.ok(
      lines(text, 'portcullis_mcp_upstream_duration_seconds_count').includes(
        `portcullis_mcp_upstream_duration_seconds_count{${labels}} 2`,
      ),
    );
  });

  it('caps (workspace, server) series and counts the rest under _other', () => {
    const metrics = createMetrics({ maxServerSeries: 2 });
    for (const serverId of ['a', 'b', 'c', 'd']) metrics.observe(record({ serverId }));
    const text = metrics.render();
    const servers = lines(text, 'portcullis_mcp_requests_total{')
      .filter((line) => line.includes('status="ok"'))
      .map((line) => /server="([^"]*)"/.exec(line)![1]);
    assert.deepEqual(servers, ['a', 'b', '_other']);
    assert.ok(
      text.includes('workspace="_other",server="_other",method="tools/call",status="ok"} 2'),
    );
    assert.ok(text.includes('\nportcullis_metrics_series_overflow_total 2\n'));
  });

  it('escapes label values so a hostile id cannot forge a sample', () => {
    const metrics = createMetrics();
    metrics.observe(record({ workspaceId: 'a"b\\c\nd' }));
    assert.ok(metrics.render().includes('workspace="a\\"b\\\\c\\nd"'));
  });

  it('counts legacy sessions opened, bytes, and upstream token refreshes', () => {
    const metrics = createMetrics({ maxRefreshSeries: 2 });
    metrics.observe(record({ method: 'initialize', target: null }));
    metrics.observe(record({ method: 'initialize', target: null, status: 'error' }));
    metrics.observe(record({ method: 'initialize', target: null, era: 'modern' }));
    metrics.upstreamRefreshes.inc({ server: 'acme/linear', outcome: 'ok' });
    metrics.upstreamRefreshes.inc({ server: 'acme/linear', outcome: 'ok' });
    metrics.upstreamRefreshes.inc({ server: 'acme/linear', outcome: 'error' });
    metrics.upstreamRefreshes.inc({ server: 'acme/github', outcome: 'ok' });
    const text = metrics.render();
    assert.ok(
      text.includes(
        'portcullis_legacy_sessions_started_total{workspace="acme",server="everything"} 1\n',
      ),
    );
    assert.ok(
      text.includes(
        'portcullis_mcp_received_bytes_total{workspace="acme",server="everything"} 300\n',
      ),
    );
    assert.deepEqual(lines(text, 'portcullis_upstream_token_refreshes_total{'), [
      'portcullis_upstream_token_refreshes_total{server="acme/linear",outcome="ok"} 2',
      'portcullis_upstream_token_refreshes_total{server="acme/linear",outcome="error"} 1',
      'portcullis_upstream_token_refreshes_total{server="_other",outcome="_other"} 1',
    ]);
  });

  it('reads queue and stdio gauges at scrape time', () => {
    const metrics = createMetrics();
    let queued = 3;
    metrics.watch({
      records: () => ({ queued, written: 10, dropped: 2, failed: 1 }),
      stdio: () => [
        {
          workspace: 'acme',
          server: 'memory',
          state: {
            running: true,
            pid: 1,
            restarts: 2,
            consecutiveCrashes: 0,
            lastError: undefined,
            backoffMs: 0,
          },
        },
        { workspace: 'acme', server: 'idle', state: undefined },
      ],
    });
    let text = metrics.render();
    assert.ok(text.includes('\nportcullis_record_queue_depth 3\n'));
    assert.ok(text.includes('\nportcullis_records_dropped_total 2\n'));
    assert.ok(text.includes('\nportcullis_stdio_processes{state="running"} 1\n'));
    assert.ok(text.includes('\nportcullis_stdio_processes{state="stopped"} 1\n'));
    assert.ok(
      text.includes('\nportcullis_stdio_restarts_total{workspace="acme",server="memory"} 2\n'),
    );
    queued = 0;
    text = metrics.render();
    assert.ok(text.includes('\nportcullis_record_queue_depth 0\n'));
  });

  it('states HELP and TYPE once per family, before its samples', () => {
    const metrics = createMetrics();
    metrics.observe(record());
    const seen = new Set<string>();
    for (const line of metrics.render().trimEnd().split('\n')) {
      const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
      if (type) {
        assert.ok(!seen.has(type[1]!), `${type[1]} typed twice`);
        seen.add(type[1]!);
      } else if (!line.startsWith('# HELP ')) {
        const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)![1]!;
        const family = name.replace(/_(bucket|sum|count)$/, '');
        assert.ok(seen.has(name) || seen.has(family), `${name} before its TYPE`);
      }
    }
  });

  it('never throws from observe, whatever the record holds', () => {
    const metrics = createMetrics();
    assert.doesNotThrow(() =>
      metrics.observe({ ...record(), latencyMs: Number.NaN, method: undefined } as never),
    );
  });
});
