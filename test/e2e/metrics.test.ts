/**
 * `/metrics` on a real gateway: guarded by its bearer token, a strict parse
 * of the text exposition format 0.0.4, and counters equal to the request
 * records of the same run.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { METRIC_METHODS } from '../../src/telemetry/metrics.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost, modernRequest } from '../support/mcp-http.ts';
import { startRecordingProxy } from '../support/recording-proxy.ts';
import type { RunningRecordingProxy } from '../support/recording-proxy.ts';

const TOKEN = 'metrics-scrape-token-4d1e0b';
const fixtureMain = fileURLToPath(new URL('../fixtures/fixture-server/main.ts', import.meta.url));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A strict parser of the Prometheus text format 0.0.4: anything off the grammar throws. */
function parseExposition(text: string): Exposition {
  assert.ok(text.endsWith('\n'), 'ends with a line feed');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const series = new Set<string>();
  for (const [index, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `line ${index + 1}: ${line}`;
    assert.notEqual(line.trim(), '', `${where}: blank line`);
    if (line.startsWith('#')) {
      const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      assert.ok(comment, `${where}: malformed comment`);
      const [, kind, name, rest] = comment;
      assert.match(name!, METRIC_NAME, where);
      if (kind === 'HELP') {
        assert.ok(!helps.has(name!), `${where}: second HELP`);
        assert.doesNotMatch(rest!, /\\[^\\n]/, `${where}: bad escape in HELP`);
        helps.add(name!);
      } else {
        assert.ok(!types.has(name!), `${where}: second TYPE`);
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest!), where);
        assert.ok(
          !samples.some((s) => familyOf(s.name, types) === name),
          `${where}: TYPE after samples`,
        );
        types.set(name!, rest!);
      }
      continue;
    }
    const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(line);
    assert.ok(head, `${where}: no metric name`);
    const name = head[1]!;
    let at = head[0].length;
    const labels: Record<string, string> = {};
    if (head[2] === '{') {
      while (line[at] !== '}') {
        const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at));
        assert.ok(label, `${where}: bad label at ${at}`);
        assert.match(label[1]!, LABEL_NAME);
        assert.ok(!(label[1]! in labels), `${where}: duplicate label`);
        at += label[0].length;
        let value = '';
        for (;;) {
          const c = line[at];
          assert.ok(c !== undefined, `${where}: unterminated label value`);
          if (c === '"') break;
          if (c === '\\') {
            const next = line[at + 1];
            assert.ok(next === '\\' || next === '"' || next === 'n', `${where}: bad escape`);
            value += next === 'n' ? '\n' : next;
            at += 2;
          } else {
            value += c;
            at++;
          }
        }
        labels[label[1]!] = value;
        at++;
        if (line[at] === ',') at++;
        else assert.equal(line[at], '}', `${where}: expected , or }`);
      }
      at++;
    }
    const rest = /^ (\S+)( -?[0-9]+)?$/.exec(line.slice(at));
    assert.ok(rest, `${where}: bad value`);
    const raw = rest[1]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    assert.ok(raw === 'NaN' || !Number.isNaN(value), `${where}: not a number`);
    const family = familyOf(name, types);
    assert.ok(family !== undefined, `${where}: sample before its TYPE`);
    if (types.get(family) === 'counter' || name.endsWith('_bucket') || name.endsWith('_count'))
      assert.ok(value >= 0, `${where}: negative counter`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!series.has(key), `${where}: duplicate series`);
    series.add(key);
    samples.push({ name, labels, value });
  }
  checkHistograms(types, samples);
  return { types, samples };
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.get(base) === 'histogram' ? base : undefined;
}

/** Buckets are cumulative, end with +Inf, and +Inf equals _count. */
function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const sample of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le, ...rest } = sample.labels;
      assert.ok(le !== undefined, `${family}: bucket without le`);
      const key = JSON.stringify(rest);
      groups.set(key, [...(groups.get(key) ?? []), sample]);
    }
    for (const [key, buckets] of groups) {
      const bounds = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
      assert.deepEqual(
        bounds,
        [...bounds].sort((a, b) => a - b),
        `${family}${key}: le order`,
      );
      assert.equal(bounds.at(-1), Infinity, `${family}${key}: no +Inf bucket`);
      for (let i = 1; i < buckets.length; i++)
        assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${family}${key}: not cumulative`);
      const count = samples.find(
        (s) => s.name === `${family}_count` && JSON.stringify(s.labels) === key,
      );
      assert.equal(count?.value, buckets.at(-1)!.value, `${family}${key}: +Inf != _count`);
    }
  }
}

async function scrape(
  url: string,
  token?: string,
): Promise<{ status: number; text: string; type: string }> {
  const response = await request(`${url}/metrics`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return {
    status: response.statusCode,
    text: await response.body.text(),
    type: String(response.headers['content-type']),
  };
}

const metricMethod = (method: string): string =>
  (METRIC_METHODS as readonly string[]).includes(method) ? method : 'other';

describe('/metrics', () => {
  let upstream: RunningFixtureServer;
  let proxy: RunningRecordingProxy;
  let gateway: TestGateway;
  let exposition: Exposition;
  let records: RequestRecord[] = [];
  let refused: { status: number; text: string };

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    proxy = await startRecordingProxy(upstream.url);
    gateway = await startTestGateway({
      servers: [
        { id: 'fixture', url: proxy.url },
        {
          id: 'local',
          transport: 'stdio',
          command: process.execPath,
          args: [fixtureMain, '--stdio', '--era', 'legacy'],
        },
      ],
      env: { PORTCULLIS_METRICS_TOKEN: TOKEN },
    });
    const auth = { authorization: `Bearer ${gateway.apiKey}` };
    let sent = 0;
    for (const server of ['fixture', 'local']) {
      const url = gateway.endpoint(server);
      const init = await mcpPost(url, initializeBody(1), auth);
      const session = {
        ...auth,
        'mcp-session-id': String(init.headers['mcp-session-id']),
        'mcp-protocol-version': '2025-11-25',
      };
      await mcpPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          mcpPost(
            url,
            {
              jsonrpc: '2.0',
              id: 10 + i,
              method: 'tools/call',
              params: { name: i % 4 === 0 ? 'no_such_tool' : 'test_simple_text', arguments: {} },
            },
            session,
          ),
        ),
      );
      await mcpPost(url, { jsonrpc: '2.0', id: 50, method: 'tools/list' }, session);
      await mcpPost(url, { jsonrpc: '2.0', id: 51, method: 'x/made-up' }, session);
      sent += 16;
    }
    const modern = modernRequest(60, 'tools/call', { name: 'test_simple_text', arguments: {} });
    await mcpPost(gateway.endpoint('fixture'), modern.body, { ...auth, ...modern.headers });
    await mcpPost(gateway.endpoint('fixture'), initializeBody(70), {
      authorization: 'Bearer nope',
    });
    sent += 2;

    refused = await scrape(gateway.url);
    // A record is observed when its handler finishes, which may be just after the answer left.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const answer = await scrape(gateway.url, TOKEN);
      assert.equal(answer.status, 200);
      assert.equal(answer.type, 'text/plain; version=0.0.4; charset=utf-8');
      exposition = parseExposition(answer.text);
      const total = exposition.samples
        .filter((s) => s.name === 'portcullis_mcp_requests_total')
        .reduce((sum, s) => sum + s.value, 0);
      if (total >= sent || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    records = await gateway.closeAndReadRecords();
  });

  after(async () => {
    await gateway?.close();
    await proxy?.close();
    await upstream?.close();
  });

  const samples = (name: string) => exposition.samples.filter((s) => s.name === name);

  it('refuses a scrape without the token', () => {
    assert.equal(refused.status, 401);
    assert.doesNotMatch(refused.text, /portcullis_mcp_requests_total/);
  });

  it('counts exactly the request records of the run, by workspace, server, method and status', () => {
    assert.ok(records.length >= 34, `records: ${records.length}`);
    const expected = new Map<string, number>();
    for (const record of records) {
      const key = [
        record.workspaceId,
        record.serverId,
        metricMethod(record.method),
        record.status,
      ].join(' ');
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const actual = new Map<string, number>();
    for (const sample of samples('portcullis_mcp_requests_total')) {
      const { workspace, server, method, status } = sample.labels;
      assert.ok(workspace && server && method && status, JSON.stringify(sample.labels));
      assert.ok(['ok', 'error'].includes(status));
      if (sample.value > 0) actual.set([workspace, server, method, status].join(' '), sample.value);
    }
    assert.deepEqual(new Map([...actual].sort()), new Map([...expected].sort()));
    assert.ok(actual.get('acme fixture tools/call error')! >= 3, 'unknown tools count as errors');
    // x/made-up, and the POST refused before its body was read (method "POST").
    assert.equal(actual.get('acme fixture other error'), 2);
  });

  it('observes every record once in the latency histogram, upstream time only when the upstream was called', () => {
    for (const [name, pick] of [
      ['portcullis_mcp_request_duration_seconds', (r: RequestRecord) => r.latencyMs],
      ['portcullis_mcp_upstream_duration_seconds', (r: RequestRecord) => r.upstreamLatencyMs],
    ] as const) {
      for (const sample of samples(`${name}_count`)) {
        const { workspace, server, method } = sample.labels;
        const matching = records.filter(
          (r) =>
            r.workspaceId === workspace &&
            r.serverId === server &&
            metricMethod(r.method) === method &&
            pick(r) !== null,
        );
        assert.equal(sample.value, matching.length, `${name} ${server} ${method}`);
        const sum = samples(`${name}_sum`).find(
          (s) => JSON.stringify(s.labels) === JSON.stringify(sample.labels),
        )!.value;
        const expected = matching.reduce((total, r) => total + pick(r)! / 1000, 0);
        assert.ok(Math.abs(sum - expected) < 1e-6, `${name} sum ${sum} vs ${expected}`);
      }
    }
    const called = records.filter((r) => r.upstreamLatencyMs !== null).length;
    const counted = samples('portcullis_mcp_upstream_duration_seconds_count').reduce(
      (t, s) => t + s.value,
      0,
    );
    assert.equal(counted, called);
  });

  it('reports sessions opened, stdio processes and the record queue', () => {
    const sessions = samples('portcullis_legacy_sessions_started_total');
    assert.deepEqual(sessions.map((s) => [s.labels.server, s.value]).sort(), [
      ['fixture', 1],
      ['local', 1],
    ]);
    assert.deepEqual(
      samples('portcullis_stdio_processes').map((s) => [s.labels.state, s.value]),
      [
        ['running', 1],
        ['backoff', 0],
        ['stopped', 0],
      ],
    );
    assert.equal(exposition.types.get('portcullis_record_queue_depth'), 'gauge');
    assert.equal(samples('portcullis_records_dropped_total')[0]?.value, 0);
    assert.equal(exposition.types.get('portcullis_upstream_token_refreshes_total'), 'counter');
    assert.equal(exposition.types.get('portcullis_otlp_spans_exported_total'), undefined);
  });

  it('leaves messages untouched when tracing is off: no trace context is added or made up', () => {
    for (const exchange of proxy.exchanges) {
      assert.equal(exchange.headers.traceparent, undefined);
      const meta = (exchange.body as { params?: { _meta?: object } } | undefined)?.params?._meta;
      assert.ok(meta === undefined || !('traceparent' in meta));
    }
    for (const record of records) assert.equal(record.traceId, null);
  });
});
