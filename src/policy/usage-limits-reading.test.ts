import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../auth/resource/principal.ts';
import type { JsonRpcRequest } from '../mcp/json-rpc.ts';
import type { ServerDefinition, UsageLimitRule } from '../store/model.ts';
import { createMemoryUsageCounters } from './usage-limits-counters.ts';
import { parseCounterGroup, readLimitUsage } from './usage-limits-reading.ts';
import { consumeUsage, counterKey, counterScope } from './usage-limits.ts';

const HOUR = 3_600_000;

const server = (id: string): ServerDefinition => ({
  workspaceId: 'acme',
  id,
  name: id,
  transport: 'http',
  url: 'http://127.0.0.1:9/mcp',
  command: null,
  args: [],
  env: {},
  cwd: null,
  timeoutMs: 1000,
  upstreamAuth: { mode: 'none', forwardIdentity: false },
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

const viaKey = (userId: string, apiKeyId: string): Principal => ({
  kind: 'api_key',
  id: apiKeyId,
  userId,
  workspaceId: 'acme',
  apiKeyId,
  clientId: null,
});

const viaOAuth = (userId: string, clientId: string): Principal => ({
  kind: 'user',
  id: `oauth:${userId}:${clientId}`,
  userId,
  workspaceId: null,
  apiKeyId: null,
  clientId,
});

const rule = (overrides: Partial<UsageLimitRule>): UsageLimitRule => ({
  id: 'rule-1',
  workspaceId: 'acme',
  name: 'calls',
  serverId: null,
  tool: null,
  method: null,
  groupBy: [],
  period: 'hour',
  limit: 10,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...overrides,
});

let id = 0;
const call = (name: string): JsonRpcRequest => ({
  jsonrpc: '2.0',
  id: ++id,
  method: 'tools/call',
  params: { name, arguments: {} },
});

describe('usage limits reading', () => {
  it('reads a workspace-wide rule as one counter with its window, zero before any call', async () => {
    let now = 5 * HOUR + 1_234;
    const counters = createMemoryUsageCounters(() => now);
    const limit = rule({});
    const before = await readLimitUsage(limit, counters);
    assert.deepEqual(before.counters, [{ group: {}, used: 0, remaining: 10 }]);
    assert.equal(before.windowStart.getTime(), 5 * HOUR);
    assert.equal(before.resetsAt.getTime(), 6 * HOUR);
    for (let i = 0; i < 3; i++)
      await consumeUsage([limit], counters, server('wiki'), viaKey('alice', 'k1'), call('search'));
    assert.deepEqual((await readLimitUsage(limit, counters)).counters, [
      { group: {}, used: 3, remaining: 7 },
    ]);
    now = 6 * HOUR;
    assert.equal((await readLimitUsage(limit, counters)).counters[0]!.used, 0, 'reset on the hour');
  });

  it('reading takes nothing from the limit', async () => {
    const counters = createMemoryUsageCounters(() => 0);
    const limit = rule({ limit: 1 });
    for (let i = 0; i < 5; i++) await readLimitUsage(limit, counters);
    const refusal = consumeUsage([limit], counters, server('wiki'), viaKey('a', 'k'), call('x'));
    assert.equal(refusal, undefined);
  });

  it('lists one counter per member, most used first, and never another rule’s', async () => {
    const counters = createMemoryUsageCounters(() => 0);
    const perMember = rule({ groupBy: ['member'], limit: 3 });
    const other = rule({ id: 'rule-2', name: 'other', groupBy: ['member'] });
    const rules = [perMember, other];
    await consumeUsage(rules, counters, server('wiki'), viaKey('alice', 'k1'), call('x'));
    for (let i = 0; i < 5; i++)
      await consumeUsage(
        rules,
        counters,
        server('wiki'),
        viaOAuth('bob', 'https://c.example/m'),
        call('x'),
      );
    const usage = await readLimitUsage(perMember, counters);
    assert.deepEqual(usage.counters, [
      { group: { memberId: 'bob' }, used: 3, remaining: 0 },
      { group: { memberId: 'alice' }, used: 1, remaining: 2 },
    ]);
  });

  it('parses API keys, OAuth clients (colons and all), servers and tools back from keys', () => {
    const limit = rule({ groupBy: ['server', 'api_key', 'tool'] });
    const oauth = viaOAuth('u-1', 'https://app.example:8443/client.json');
    assert.deepEqual(parseCounterGroup(limit, counterKey(limit, 'wiki', oauth, 'search')), {
      server: 'wiki',
      memberId: 'u-1',
      clientId: 'https://app.example:8443/client.json',
      tool: 'search',
    });
    assert.deepEqual(
      parseCounterGroup(limit, counterKey(limit, 'wiki', viaKey('u-2', 'key-9'), null)),
      { server: 'wiki', apiKeyId: 'key-9', tool: '' },
    );
  });

  it('skips keys that are not the rule’s shape (groups changed within the window)', () => {
    const limit = rule({ groupBy: ['member'] });
    const scope = counterScope(limit);
    for (const key of [
      scope,
      `${scope}\u0000s:wiki`,
      `${scope}\u0000m:a\u0000t:x`,
      `acme\u0000rule-2\u0000m:a`,
      `${scope}-x\u0000m:a`,
    ])
      assert.equal(parseCounterGroup(limit, key), undefined, JSON.stringify(key));
    assert.equal(
      parseCounterGroup(rule({ groupBy: ['api_key'] }), `${scope}\u0000c:oauth:`),
      undefined,
    );
  });

  it('reports no remaining units, not a negative number, when a lowered limit is exceeded', async () => {
    const counters = createMemoryUsageCounters(() => 0);
    const generous = rule({ limit: 5 });
    for (let i = 0; i < 4; i++)
      await consumeUsage([generous], counters, server('wiki'), viaKey('a', 'k'), call('x'));
    const usage = await readLimitUsage({ ...generous, limit: 2 }, counters);
    assert.deepEqual(usage.counters, [{ group: {}, used: 4, remaining: 0 }]);
  });
});
