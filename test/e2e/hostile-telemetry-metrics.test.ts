/**
 * What clients can make `/metrics` and the analytics and records queries
 * cost, on a real gateway: a flood of distinct method names and of server ids
 * that do not exist keeps the series bounded as documented; hostile time
 * ranges and text filters get clear 400s or correct, quick answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { METRIC_METHODS } from '../../src/telemetry/metrics.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { mcpPost, modernRequest } from '../support/mcp-http.ts';

const DISTINCT_METHODS = 800;
const MISSING_SERVERS = 520;

async function inBatches(count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, count - start) }, (_, j) => work(start + j)),
    );
}

describe('metrics and queries under hostile clients', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let auth: Record<string, string>;
  let scrape = '';
  let scrapeMs = 0;

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }] });
    auth = { authorization: `Bearer ${gateway.apiKey}` };
    await inBatches(DISTINCT_METHODS, (i) => {
      const call = modernRequest(i, `foo/bar-${i}-${Math.random()}`);
      return mcpPost(gateway.endpoint('fixture'), call.body, { ...auth, ...call.headers });
    });
    await inBatches(MISSING_SERVERS, (i) => {
      const call = modernRequest(i, 'tools/list');
      return mcpPost(gateway.endpoint(`missing-${i}`, i % 2 ? 'acme' : `ghost-${i}`), call.body, {
        ...auth,
        ...call.headers,
      });
    });
    const started = performance.now();
    scrape = await (await request(`${gateway.url}/metrics`)).body.text();
    scrapeMs = performance.now() - started;
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('keeps method labels to the fixed list and server pairs to the documented 500', () => {
    const series = scrape
      .split('\n')
      .filter((line) => line.startsWith('portcullis_mcp_requests_total{'));
    const methods = new Set(series.map((line) => /method="([^"]*)"/.exec(line)![1]));
    for (const method of methods)
      assert.ok((METRIC_METHODS as readonly string[]).includes(method!), method);
    const pairs = new Set(
      series.map((line) => /workspace="([^"]*)",server="([^"]*)"/.exec(line)!.slice(1).join('/')),
    );
    assert.ok(pairs.size <= 501, `${pairs.size} (workspace, server) pairs`);
    assert.ok(scrape.length < 8 * 1024 * 1024, `scrape is ${scrape.length} bytes`);
    assert.ok(scrapeMs < 1000, `scrape took ${scrapeMs} ms`);
  });

  it('answers hostile analytics ranges with a 400 or a correct figure, quickly', async () => {
    const base = `${gateway.url}/api/v1/workspaces/acme/analytics/requests`;
    const cases: [string, number[]][] = [
      ['since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', [400]],
      ['since=2026-01-01T00:00:00Z&until=2026-01-01T00:00:00Z', [400]],
      ['since=1970-01-01T00:00:00Z&until=2070-01-01T00:00:00Z', [200, 400]],
      ['since=1970-01-01T00:00:00Z&until=1970-01-01T00:00:00.001Z', [200]],
      ['since=0000-01-01T00:00:00Z&until=9999-12-31T23:59:59.999Z&bucket=minute', [400]],
      ['since=not-a-date', [400]],
      ['since=2026-01-01T00:00:00.999999999Z', [200, 400]],
    ];
    for (const [query, statuses] of cases) {
      const started = performance.now();
      const answer = await request(`${base}?${query}`, { headers: auth });
      const body = (await answer.body.json()) as { code?: string; message?: string };
      assert.ok(statuses.includes(answer.statusCode), `${query}: ${answer.statusCode}`);
      if (answer.statusCode === 400) assert.equal(typeof body.message, 'string', query);
      assert.ok(performance.now() - started < 1000, `${query} is quick`);
    }
  });

  it('matches %, _ and \\ in the records text filter literally and refuses a 10 KB pattern', async () => {
    const base = `${gateway.url}/api/v1/workspaces/acme/records?q=`;
    for (const q of ['%', '_', '\\', '%_%']) {
      const answer = await request(`${base}${encodeURIComponent(q)}`, { headers: auth });
      const body = (await answer.body.json()) as { records: { method: string }[] };
      assert.equal(answer.statusCode, 200);
      for (const record of body.records)
        assert.ok(JSON.stringify(record).toLowerCase().includes(q.toLowerCase()), q);
    }
    const long = await request(`${base}${'x'.repeat(10_000)}`, { headers: auth });
    await long.body.text();
    assert.equal(long.statusCode, 400);
  });
});
