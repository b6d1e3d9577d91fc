import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../auth/resource/principal.ts';
import type { InterceptContext, Interceptor } from '../mcp/intercept/interceptor.ts';
import type { JsonRpcRequest } from '../mcp/json-rpc.ts';
import type { ServerDefinition, UsageLimitRule } from '../store/model.ts';
import type { RequestRecord } from '../telemetry/request-record.ts';
import { createMemoryUsageCounters } from './usage-limits-counters.ts';
import { counterKey, createUsageLimits, ruleMatches } from './usage-limits.ts';

const server = (id = 'github'): ServerDefinition => ({
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

const principal = (userId: string, apiKeyId: string | null = null): Principal => ({
  kind: apiKeyId === null ? 'user' : 'api_key',
  id: apiKeyId ?? `${userId}:client`,
  userId,
  workspaceId: apiKeyId === null ? null : 'acme',
  apiKeyId,
  clientId: null,
});

let ruleSeq = 0;
const rule = (overrides: Partial<UsageLimitRule> = {}): UsageLimitRule => ({
  id: `rule-${++ruleSeq}`,
  workspaceId: 'acme',
  name: `rule-${ruleSeq}`,
  serverId: null,
  tool: null,
  method: null,
  groupBy: [],
  period: 'minute',
  limit: 2,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...overrides,
});

let id = 0;
const toolCall = (name: string): JsonRpcRequest => ({
  jsonrpc: '2.0',
  id: ++id,
  method: 'tools/call',
  params: { name, arguments: {} },
});
const request = (method: string): JsonRpcRequest => ({ jsonrpc: '2.0', id: ++id, method });

function harness(rules: UsageLimitRule[], start = 60_000 * 1000 + 30_000) {
  let now = start;
  let reads = 0;
  const store = {
    usageLimits: {
      list: async (workspaceId?: string) => {
        reads++;
        return rules.filter((r) => workspaceId === undefined || r.workspaceId === workspaceId);
      },
      find: async () => undefined,
      upsert: async () => {
        throw new Error('unused');
      },
      remove: async () => false,
    },
  };
  const limits = createUsageLimits({
    store,
    counters: createMemoryUsageCounters(() => now),
    now: () => now,
  });
  const context = (who: Principal, on = server()): InterceptContext => ({
    server: on,
    principal: who,
    record: {} as RequestRecord,
    era: 'legacy',
    clientCapabilities: undefined,
  });
  async function send(who: Principal, message: JsonRpcRequest, on = server()) {
    const [interceptor] = (await limits.interceptorsFor(on, who)) as Interceptor[];
    if (interceptor === undefined) return 'forward';
    const verdict = await interceptor.onRequest!(message, context(who, on));
    return verdict.kind === 'forward' ? 'forward' : verdict.message;
  }
  return {
    limits,
    send,
    advance: (ms: number) => void (now += ms),
    reads: () => reads,
  };
}

const alice = principal('alice');
const bob = principal('bob');

describe('usage limit matching', () => {
  it('never counts initialize, ping or server/discover', () => {
    for (const method of ['initialize', 'ping', 'server/discover'])
      assert.equal(ruleMatches(rule(), 'github', method, null), false, method);
    assert.equal(ruleMatches(rule(), 'github', 'tools/list', null), true);
  });

  it('matches by server, by tool (tools/call only) and by method', () => {
    assert.equal(ruleMatches(rule({ serverId: 'linear' }), 'github', 'tools/call', 'x'), false);
    assert.equal(ruleMatches(rule({ tool: 'x' }), 'github', 'tools/call', 'x'), true);
    assert.equal(ruleMatches(rule({ tool: 'x' }), 'github', 'tools/call', 'y'), false);
    assert.equal(ruleMatches(rule({ tool: 'x' }), 'github', 'prompts/get', 'x'), false);
    assert.equal(ruleMatches(rule({ method: 'tools/list' }), 'github', 'tools/call', 'x'), false);
    assert.equal(ruleMatches(rule({ method: 'tools/list' }), 'github', 'tools/list', null), true);
  });

  it('keys counters by workspace and rule, then each group asked for', () => {
    const r = rule({ groupBy: ['server', 'tool', 'member', 'api_key'] });
    const key = counterKey(r, 'github', principal('alice', 'key-1'), 'search');
    assert.deepEqual(key.split('\u0000'), [
      'acme',
      r.id,
      's:github',
      't:search',
      'm:alice',
      'k:key-1',
    ]);
    assert.notEqual(
      counterKey(r, 'github', principal('alice', 'key-2'), 'search'),
      key,
      'another API key counts apart',
    );
  });
});

describe('usage limits interceptor', () => {
  it('adds no interceptor when no rule concerns the server (hot path untouched)', async () => {
    const { limits } = harness([rule({ serverId: 'linear' })]);
    assert.deepEqual(await limits.interceptorsFor(server('github'), alice), []);
  });

  it('allows N requests then answers rate_limited with retryAfterSeconds, without forwarding', async () => {
    const { send } = harness([rule({ limit: 2, name: 'two-a-minute' })]);
    assert.equal(await send(alice, toolCall('x')), 'forward');
    assert.equal(await send(alice, toolCall('x')), 'forward');
    const message = toolCall('x');
    const refused = await send(alice, message);
    assert.notEqual(refused, 'forward');
    if (refused === 'forward') return;
    assert.equal(refused.id, message.id);
    assert.equal(refused.error?.code, -32005);
    assert.match(refused.error.message, /"two-a-minute".*2 requests per minute.*30 s/);
    assert.deepEqual(refused.error?.data, {
      reason: 'rate_limited',
      retryable: true,
      retryAfterSeconds: 30,
      limit: 'two-a-minute',
    });
  });

  it('resets at the start of the next window', async () => {
    const { send, advance } = harness([rule({ limit: 1 })]);
    assert.equal(await send(alice, toolCall('x')), 'forward');
    assert.notEqual(await send(alice, toolCall('x')), 'forward');
    advance(30_000);
    assert.equal(await send(alice, toolCall('x')), 'forward');
  });

  it('per hour and per day quotas count in their own windows', async () => {
    const { send, advance } = harness(
      [rule({ limit: 1, period: 'hour' })],
      Date.UTC(2026, 0, 1, 10, 59, 0),
    );
    assert.equal(await send(alice, toolCall('x')), 'forward');
    advance(30_000);
    assert.notEqual(await send(alice, toolCall('x')), 'forward');
    advance(30_000);
    assert.equal(await send(alice, toolCall('x')), 'forward', 'a new hour');

    const daily = harness([rule({ limit: 1, period: 'day' })], Date.UTC(2026, 0, 1, 23, 0, 0));
    assert.equal(await daily.send(alice, toolCall('x')), 'forward');
    const refused = await daily.send(alice, toolCall('x'));
    assert.ok(
      refused !== 'forward' &&
        (refused.error?.data as { retryAfterSeconds: number }).retryAfterSeconds === 3600,
    );
  });

  it('without group_by, the whole workspace shares one counter', async () => {
    const { send } = harness([rule({ limit: 1 })]);
    assert.equal(await send(alice, toolCall('x')), 'forward');
    assert.notEqual(await send(bob, toolCall('y'), server('github')), 'forward');
  });

  it('group_by member counts each member apart; group_by tool each tool', async () => {
    const perMember = harness([rule({ limit: 1, groupBy: ['member'] })]);
    assert.equal(await perMember.send(alice, toolCall('x')), 'forward');
    assert.equal(await perMember.send(bob, toolCall('x')), 'forward');
    assert.notEqual(await perMember.send(alice, toolCall('x')), 'forward');

    const perTool = harness([rule({ limit: 1, groupBy: ['tool'] })]);
    assert.equal(await perTool.send(alice, toolCall('x')), 'forward');
    assert.equal(await perTool.send(alice, toolCall('y')), 'forward');
    assert.notEqual(await perTool.send(alice, toolCall('x')), 'forward');
  });

  it('group_by server and api_key count each apart', async () => {
    const perServer = harness([rule({ limit: 1, groupBy: ['server'] })]);
    assert.equal(await perServer.send(alice, toolCall('x'), server('github')), 'forward');
    assert.equal(await perServer.send(alice, toolCall('x'), server('linear')), 'forward');
    assert.notEqual(await perServer.send(alice, toolCall('x'), server('github')), 'forward');

    const oauth = harness([rule({ limit: 1, groupBy: ['api_key'] })]);
    assert.equal(await oauth.send(alice, toolCall('x')), 'forward');
    assert.equal(
      await oauth.send(bob, toolCall('x')),
      'forward',
      'OAuth callers count per (user, client), not as one keyless group',
    );

    const perKey = harness([rule({ limit: 1, groupBy: ['api_key'] })]);
    assert.equal(await perKey.send(principal('alice', 'k1'), toolCall('x')), 'forward');
    assert.equal(await perKey.send(principal('alice', 'k2'), toolCall('x')), 'forward');
    assert.notEqual(await perKey.send(principal('alice', 'k1'), toolCall('x')), 'forward');
  });

  it('a tool rule counts only that tool; other requests pass', async () => {
    const { send } = harness([rule({ limit: 1, tool: 'search' })]);
    assert.equal(await send(alice, toolCall('search')), 'forward');
    assert.notEqual(await send(alice, toolCall('search')), 'forward');
    assert.equal(await send(alice, toolCall('other')), 'forward');
    assert.equal(await send(alice, request('tools/list')), 'forward');
  });

  it('holds exactly under concurrency: N allowed, the rest refused', async () => {
    const { send } = harness([rule({ limit: 7 })]);
    const verdicts = await Promise.all(
      Array.from({ length: 30 }, () => send(alice, toolCall('x'))),
    );
    assert.equal(verdicts.filter((verdict) => verdict === 'forward').length, 7);
  });

  it('reads the rules once for many concurrent requests that find them stale', async () => {
    const { send, reads } = harness([rule({ limit: 100 })]);
    await Promise.all(Array.from({ length: 10 }, () => send(alice, toolCall('x'))));
    assert.equal(reads(), 1);
  });

  it('reads the rules at most once a second per workspace', async () => {
    const { send, advance, reads } = harness([rule({ limit: 100 })]);
    await send(alice, toolCall('x'));
    await send(alice, toolCall('x'));
    assert.equal(reads(), 1);
    advance(1_000);
    await send(alice, toolCall('x'));
    assert.equal(reads(), 2);
  });
});

describe('usage limits on the hot path', () => {
  it('answers synchronously, interceptors and verdict, while the rules are cached', async () => {
    const { limits, send } = harness([rule({ limit: 5 })]);
    await send(alice, toolCall('x'));
    const interceptors = limits.interceptorsFor(server(), alice);
    assert.ok(!(interceptors instanceof Promise));
    const verdict = interceptors[0]!.onRequest!(toolCall('x'), {
      server: server(),
      principal: alice,
      record: {} as RequestRecord,
      era: 'legacy',
      clientCapabilities: undefined,
    });
    assert.ok(!(verdict instanceof Promise));
    assert.equal(verdict.kind, 'forward');
  });

  it('gives no interceptor, synchronously, to a server no cached rule names', async () => {
    const { limits, send } = harness([rule({ serverId: 'linear' })]);
    await send(alice, toolCall('x'));
    const interceptors = limits.interceptorsFor(server('github'), alice);
    assert.ok(!(interceptors instanceof Promise));
    assert.equal(interceptors.length, 0);
  });

  it('waits for the store again once the cached rules are a second old', async () => {
    const { limits, send, advance } = harness([rule()]);
    await send(alice, toolCall('x'));
    advance(1_000);
    assert.ok(limits.interceptorsFor(server(), alice) instanceof Promise);
  });

  it('consumes from every matching rule in order through counters that answer later', async () => {
    const first = rule({ limit: 1 });
    const second = rule({ limit: 5 });
    const taken: string[] = [];
    const memory = createMemoryUsageCounters(() => 0);
    const limits = createUsageLimits({
      store: {
        usageLimits: {
          list: async () => [first, second],
          find: async () => undefined,
          upsert: async () => {
            throw new Error('unused');
          },
          remove: async () => false,
        },
      },
      counters: {
        consume: async (key, windowMs, limit, scope) => {
          taken.push(key.split('\u0000')[1]!);
          return memory.consume(key, windowMs, limit, scope);
        },
        read: (scope, windowMs) => memory.read(scope, windowMs),
      },
      now: () => 0,
    });
    const [interceptor] = await limits.interceptorsFor(server(), alice);
    const context = {
      server: server(),
      principal: alice,
      record: {} as RequestRecord,
      era: 'legacy' as const,
      clientCapabilities: undefined,
    };
    assert.equal((await interceptor!.onRequest!(toolCall('x'), context)).kind, 'forward');
    const refused = await interceptor!.onRequest!(toolCall('x'), context);
    assert.equal(refused.kind, 'answer');
    // The first rule refuses the second call: the second rule is not consumed again.
    assert.deepEqual(taken, [first.id, second.id, first.id]);
  });
});
