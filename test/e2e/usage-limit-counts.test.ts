/**
 * Usage limits' current counts through the admin API, consumed by real MCP
 * calls (the SDK client through the gateway's endpoint): the count is the
 * enforcement's own, reading it takes nothing, refusals and lifecycle
 * requests are not counted, and the window's bounds come with it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { connectClient } from '../support/sdk-client.ts';

const DAY = 86_400_000;

interface Counter {
  member?: { id: string; email: string | null };
  used: number;
  remaining: number;
}
interface LimitUsage {
  name: string;
  window_start: string;
  resets_at: string;
  counters_total: number;
  counters: Counter[];
}

describe('usage limit counts through the gateway', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let client: Client;

  const usage = async (path = '/api/v1/workspaces/acme/usage') => {
    const response = await fetch(`${gateway.url}${path}`, {
      headers: { authorization: `Bearer ${gateway.apiKey}` },
    });
    return { status: response.status, body: await response.json() };
  };
  const byName = async () =>
    Object.fromEntries(((await usage()).body as LimitUsage[]).map((entry) => [entry.name, entry]));
  const text = () => client.callTool({ name: 'test_simple_text', arguments: {} });

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      // Day windows: a test never straddles a reset except at midnight UTC.
      limits: [
        { name: 'all-calls', method: 'tools/call', period: 'day', limit: 100 },
        {
          name: 'texts-per-member',
          tool: 'test_simple_text',
          group_by: ['member'],
          period: 'day',
          limit: 3,
        },
      ],
    });
    client = await connectClient(gateway, 'fixture');
  });
  after(async () => {
    await client?.close();
    await gateway?.close();
    await upstream?.close();
  });

  it('refuses an unknown workspace (404) and an unknown limit (404)', async () => {
    assert.equal((await usage('/api/v1/workspaces/nope/usage')).status, 404);
    assert.equal((await usage('/api/v1/workspaces/acme/usage-limits/nope/usage')).status, 404);
  });

  it('counts each call the endpoint let through, per limit and per member, reading nothing off', async () => {
    const start = await byName();
    assert.deepEqual(start['all-calls']!.counters, [{ used: 0, remaining: 100 }]);
    assert.deepEqual(start['texts-per-member']!.counters, []);
    for (let i = 0; i < 2; i++) await text();
    await client.listTools();
    for (let i = 0; i < 2; i++) {
      const now = Date.now();
      const views = await byName();
      const all = views['all-calls']!;
      assert.deepEqual(all.counters, [{ used: 2, remaining: 98 }]);
      const from = Date.parse(all.window_start);
      assert.equal(Date.parse(all.resets_at) - from, DAY);
      assert.ok(from <= now && now < from + DAY);
      assert.deepEqual(
        views['texts-per-member']!.counters.map(({ member, used, remaining }) => [
          member?.email,
          used,
          remaining,
        ]),
        [['admin@acme.test', 2, 1]],
      );
    }
  });

  it('stops at the limit: a refused call is not counted', async () => {
    await text();
    await assert.rejects(text(), /Usage limit "texts-per-member" reached/);
    const one = await usage('/api/v1/workspaces/acme/usage-limits/texts-per-member/usage');
    assert.equal(one.status, 200);
    const view = one.body as LimitUsage;
    assert.deepEqual(
      view.counters.map(({ used, remaining }) => [used, remaining]),
      [[3, 0]],
    );
    // The refused call matched all-calls first (rules consume in name order) and stays taken.
    assert.deepEqual((await byName())['all-calls']!.counters, [{ used: 4, remaining: 96 }]);
  });
});
