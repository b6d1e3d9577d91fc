import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

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
