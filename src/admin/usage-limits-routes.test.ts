import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../auth/resource/principal.ts';
import type { JsonRpcRequest } from '../mcp/json-rpc.ts';
import { createMemoryUsageCounters } from '../policy/usage-limits-counters.ts';
import { consumeUsage } from '../policy/usage-limits.ts';
import type { ServerDefinition } from '../store/model.ts';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp, Person } from './admin-test-app.ts';

const URL = '/api/v1/workspaces/acme/usage-limits';
const rule = {
  server: 'github',
  tool: 'search',
  group_by: ['member'],
  period: 'minute',
  limit: 10,
};

describe('usage limits routes', () => {
  let t: AdminTestApp;
  const ruleCount = async () => (await t.store.usageLimits.list('acme')).length;
  before(async () => {
    t = await startAdminTestApp();
  });
  after(() => t.close());

  it('refuses invalid rules with 400 naming the field, storing nothing', async () => {
    const count = await ruleCount();
    for (const [name, body, field] of [
      ['ok', {}, 'body.period'],
      ['ok', { ...rule, limit: -1 }, 'body.limit'],
      ['ok', { ...rule, limit: 1.5 }, 'body.limit'],
      ['ok', { ...rule, period: 'fortnight' }, 'body.period'],
      ['ok', { ...rule, group_by: ['planet'] }, 'body.group_by.0'],
      ['ok', { ...rule, group_by: ['member', 'member'] }, 'body.group_by'],
      ['ok', { ...rule, server: 'nope' }, 'body.server'],
      ['ok', { ...rule, method: 'Not a method!' }, 'body.method'],
      ['ok', { ...rule, extra: true }, 'body'],
      ['Bad Name', rule, 'params.name'],
    ] as const) {
      const response = await call(
        t,
        'PUT',
        `${URL}/${encodeURIComponent(name)}`,
        t.bearer('admin'),
        body,
      );
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.json().message, new RegExp(`${field.replaceAll('.', '\\.')}`));
    }
    assert.equal(await ruleCount(), count);
  });

  it('creates, replaces, reads and lists a rule by name', async () => {
    const created = await call(t, 'PUT', `${URL}/search-rate`, t.bearer('admin'), rule);
    assert.equal(created.status, 200);
    assert.deepEqual(
      {
        ...created.json<Record<string, unknown>>(),
        id: undefined,
        created_at: undefined,
        updated_at: undefined,
      },
      {
        ...rule,
        name: 'search-rate',
        workspace: 'acme',
        id: undefined,
        created_at: undefined,
        updated_at: undefined,
      },
    );
    const replaced = await call(t, 'PUT', `${URL}/search-rate`, t.bearer('owner'), {
      period: 'day',
      limit: 100,
    });
    assert.equal(replaced.json().id, created.json().id);
    assert.equal(replaced.json().server, undefined);
    assert.equal(replaced.json().period, 'day');
    const one = await call(t, 'GET', `${URL}/search-rate`, t.bearer('viewer'));
    assert.deepEqual(one.json(), replaced.json());
    const all = await call(t, 'GET', URL, t.bearer('member'));
    assert.deepEqual(all.json(), [replaced.json()]);
  });

  it('lets members and viewers read but not change rules (403), changing nothing', async () => {
    await call(t, 'PUT', `${URL}/keep`, t.bearer('admin'), rule);
    for (const person of ['member', 'viewer'] as const) {
      const put = await call(t, 'PUT', `${URL}/keep`, t.bearer(person), { ...rule, limit: 1 });
      assert.equal(put.status, 403);
      const removed = await call(t, 'DELETE', `${URL}/keep`, t.bearer(person));
      assert.equal(removed.status, 403);
    }
    assert.equal((await t.store.usageLimits.find('acme', 'keep'))?.limit, 10);
  });

  it('hides the rules of other workspaces (404)', async () => {
    const response = await call(t, 'GET', URL, t.bearer('outsider'));
    assert.equal(response.status, 404);
    const put = await call(t, 'PUT', `${URL}/sneaky`, t.bearer('outsider'), rule);
    assert.equal(put.status, 404);
    assert.equal(await t.store.usageLimits.find('acme', 'sneaky'), undefined);
  });

  it('deletes a rule once; an unknown rule is 404', async () => {
    await call(t, 'PUT', `${URL}/gone`, t.bearer('admin'), rule);
    assert.equal((await call(t, 'DELETE', `${URL}/gone`, t.bearer('admin'))).status, 204);
    assert.equal((await call(t, 'DELETE', `${URL}/gone`, t.bearer('admin'))).status, 404);
    assert.equal((await call(t, 'GET', `${URL}/gone`, t.bearer('admin'))).status, 404);
  });
});

describe('usage limits routes: audit', () => {
  let t: AdminTestApp;
  before(async () => {
    t = await startAdminTestApp();
  });
  after(() => t.close());

  it('records who created, changed and removed a rule, with before and after', async () => {
    await call(t, 'PUT', `${URL}/audited`, t.bearer('admin'), rule);
    await call(t, 'PUT', `${URL}/audited`, t.bearer('owner'), { ...rule, limit: 20 });
    await call(t, 'DELETE', `${URL}/audited`, t.bearer('admin'));
    const entries = (await t.store.auditLog.list({ workspaceId: 'acme' }))
      .filter((entry) => entry.targetType === 'usage_limit')
      .sort((a, b) => a.seq - b.seq);
    assert.deepEqual(
      entries.map((entry) => [entry.action, entry.targetId, entry.actorId]),
      [
        ['usage_limit.create', 'acme/audited', t.users.admin.id],
        ['usage_limit.update', 'acme/audited', t.users.owner.id],
        ['usage_limit.delete', 'acme/audited', t.users.admin.id],
      ],
    );
    assert.equal(entries[0]!.before, null);
    assert.equal((entries[1]!.before as { limit: number }).limit, 10);
    assert.equal((entries[1]!.after as { limit: number }).limit, 20);
    assert.equal(entries[2]!.after, null);
  });
});

describe('usage limits routes: current usage', () => {
  const HOUR = 3_600_000;
  let t: AdminTestApp;
  let now = 400 * HOUR + 1_000;
  const counters = createMemoryUsageCounters(() => now);
  const USAGE = '/api/v1/workspaces/acme/usage';
  const wiki = { workspaceId: 'acme', id: 'github' } as ServerDefinition;
  const toolCall = (name: string): JsonRpcRequest => ({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name },
  });
  const viaKey = (person: Person, apiKeyId: string): Principal => ({
    kind: 'api_key',
    id: apiKeyId,
    userId: t.users[person].id,
    workspaceId: 'acme',
    apiKeyId,
    clientId: null,
  });
  /** Spends `times` units of every matching rule, as the MCP endpoint's interceptor does. */
  const spend = async (principal: Principal, times: number) => {
    const rules = await t.store.usageLimits.list('acme');
    for (let i = 0; i < times; i++)
      await consumeUsage(rules, counters, wiki, principal, toolCall('search'));
  };
  const keyId = async (person: Person) =>
    (await t.store.apiKeys.list('acme')).find((key) => key.userId === t.users[person].id)!.id;
  type View = {
    name: string;
    window_start: string;
    resets_at: string;
    counters_total: number;
    counters: { api_key?: { id: string; name: string | null }; [field: string]: unknown }[];
  };
  const byName = (views: View[]) => Object.fromEntries(views.map((view) => [view.name, view]));

  before(async () => {
    t = await startAdminTestApp({ usageCounters: counters });
    for (const [name, body] of [
      ['everyone', { period: 'hour', limit: 1000 }],
      ['per-member', { period: 'hour', limit: 5, group_by: ['member'] }],
      ['per-key', { period: 'day', limit: 50, group_by: ['api_key'] }],
    ] as const)
      assert.equal((await call(t, 'PUT', `${URL}/${name}`, t.bearer('admin'), body)).status, 200);
  });
  after(() => t.close());

  it('refuses unknown workspaces and limits (404) and bad queries (400)', async () => {
    assert.equal((await call(t, 'GET', USAGE, t.bearer('outsider'))).status, 404);
    assert.equal(
      (await call(t, 'GET', '/api/v1/workspaces/nope/usage', t.bearer('admin'))).status,
      404,
    );
    assert.equal((await call(t, 'GET', `${URL}/nope/usage`, t.bearer('admin'))).status, 404);
    const extra = await call(t, 'GET', `${USAGE}?window=1`, t.bearer('admin'));
    assert.equal(extra.status, 400);
    assert.match(extra.json().message, /query/);
    const stranger = await call(t, 'GET', `${USAGE}?member=no-such-user`, t.bearer('admin'));
    assert.equal(stranger.status, 404);
    assert.match(stranger.json().message, /no-such-user/);
  });

  it("refuses a member asking for another member's usage (403)", async () => {
    for (const person of ['member', 'viewer'] as const) {
      const response = await call(
        t,
        'GET',
        `${USAGE}?member=${t.users.admin.id}`,
        t.bearer(person),
      );
      assert.equal(response.status, 403, person);
    }
  });

  it('answers 503 when the gateway has no counters to read, and still lists the rules', async () => {
    const bare = await startAdminTestApp();
    try {
      await call(bare, 'PUT', `${URL}/x`, bare.bearer('admin'), { period: 'hour', limit: 1 });
      assert.equal((await call(bare, 'GET', USAGE, bare.bearer('admin'))).status, 503);
      assert.equal((await call(bare, 'GET', URL, bare.bearer('admin'))).status, 200);
    } finally {
      await bare.close();
    }
  });

  it('shows used, remaining and the reset per limit and per member, taking nothing', async () => {
    await spend(viaKey('member', await keyId('member')), 3);
    await spend(viaKey('owner', await keyId('owner')), 1);
    for (let i = 0; i < 2; i++) {
      const views = byName((await call(t, 'GET', USAGE, t.bearer('admin'))).json<View[]>());
      assert.equal(views.everyone!.window_start, new Date(400 * HOUR).toISOString());
      assert.equal(views.everyone!.resets_at, new Date(401 * HOUR).toISOString());
      assert.deepEqual(views.everyone!.counters, [{ used: 4, remaining: 996 }]);
      assert.deepEqual(views['per-member']!.counters, [
        { member: { id: t.users.member.id, email: 'member@acme.test' }, used: 3, remaining: 2 },
        { member: { id: t.users.owner.id, email: 'owner@acme.test' }, used: 1, remaining: 4 },
      ]);
      assert.equal(views['per-key']!.resets_at, new Date(17 * 24 * HOUR).toISOString());
      assert.deepEqual(views['per-key']!.counters[0], {
        member: { id: t.users.member.id, email: 'member@acme.test' },
        api_key: {
          id: await keyId('member'),
          name: (await t.store.apiKeys.find(await keyId('member')))!.name,
        },
        used: 3,
        remaining: 47,
      });
    }
    const one = await call(t, 'GET', `${URL}/per-member/usage`, t.bearer('owner'));
    assert.equal(one.json<View>().counters_total, 2);
  });

  it("shows members their own and shared counters only, never another member's", async () => {
    const views = byName((await call(t, 'GET', USAGE, t.bearer('member'))).json<View[]>());
    assert.deepEqual(views.everyone!.counters, [{ used: 4, remaining: 996 }]);
    assert.deepEqual(
      views['per-member']!.counters.map((counter) => counter.member),
      [{ id: t.users.member.id, email: 'member@acme.test' }],
    );
    assert.equal(views['per-key']!.counters_total, 1);
    const viewer = byName((await call(t, 'GET', USAGE, t.bearer('viewer'))).json<View[]>());
    assert.deepEqual(viewer['per-member']!.counters, []);
  });

  it("filters an admin's view to one member", async () => {
    const filtered = await call(t, 'GET', `${USAGE}?member=${t.users.owner.id}`, t.bearer('admin'));
    const views = byName(filtered.json<View[]>());
    assert.deepEqual(views['per-member']!.counters, [
      { member: { id: t.users.owner.id, email: 'owner@acme.test' }, used: 1, remaining: 4 },
    ]);
    assert.deepEqual(views.everyone!.counters, [{ used: 4, remaining: 996 }]);
  });

  it('starts from zero when the window resets', async () => {
    now = 401 * HOUR;
    const views = byName((await call(t, 'GET', USAGE, t.bearer('admin'))).json<View[]>());
    assert.deepEqual(views.everyone!.counters, [{ used: 0, remaining: 1000 }]);
    assert.deepEqual(views['per-member']!.counters, []);
    assert.equal(views['per-key']!.counters_total, 2, 'the day has not ended');
  });

  it("lists a deleted key's counter to admins only, without a name", async () => {
    await spend(viaKey('member', 'deleted-key'), 1);
    const ghost = { api_key: { id: 'deleted-key', name: null }, used: 1, remaining: 49 };
    const admin = byName((await call(t, 'GET', USAGE, t.bearer('admin'))).json<View[]>());
    assert.deepEqual(admin['per-key']!.counters.at(-1), ghost);
    for (const person of ['member', 'viewer'] as const) {
      const views = byName((await call(t, 'GET', USAGE, t.bearer(person))).json<View[]>());
      assert.ok(
        views['per-key']!.counters.every((counter) => counter.api_key?.id !== 'deleted-key'),
        person,
      );
    }
    const filtered = await call(t, 'GET', `${USAGE}?member=${t.users.owner.id}`, t.bearer('admin'));
    assert.equal(byName(filtered.json<View[]>())['per-key']!.counters_total, 1);
  });
});
