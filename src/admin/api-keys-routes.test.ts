import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../shared/api-key-hash.ts';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

const URL = '/api/v1/workspaces/acme/api-keys';

describe('API keys routes', () => {
  let t: AdminTestApp;
  const keyCount = async () => (await t.store.apiKeys.list('acme')).length;
  before(async () => {
    t = await startAdminTestApp();
  });
  after(() => t.close());

  it('refuses invalid key requests with 400 naming the field, creating nothing', async () => {
    const count = await keyCount();
    for (const [body, field] of [
      [{}, 'body.name'],
      [{ name: 'x', servers: ['nope'] }, 'body.servers.0'],
      // The member reaches github only: linear looks unknown to them.
      [{ name: 'x', servers: ['linear'] }, 'body.servers.0'],
      [{ name: 'x', servers: null }, 'body.servers'],
      [{ name: 'x', expiresAt: 'tomorrow' }, 'body.expiresAt'],
      [{ name: 'x', expiresAt: '2001-01-01T00:00:00Z' }, 'body.expiresAt'],
    ] as const) {
      const response = await call(t, 'POST', URL, t.bearer('member'), body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.json().message, new RegExp(`${field.replaceAll('.', '\\.')}:`));
    }
    assert.equal(await keyCount(), count);
  });

  it('creates a key once, stores only its hash, and the key then authenticates', async () => {
    const changes = t.credentialsChanged();
    const created = await call(t, 'POST', URL, t.bearer('member'), { name: 'laptop' });
    assert.equal(created.status, 201);
    const { key, prefix, servers, userId } = created.json();
    assert.match(key, /^pcl_[A-Za-z0-9_-]{43}$/);
    assert.equal(prefix, key.slice(0, 8));
    assert.deepEqual(servers, ['github']);
    assert.equal(userId, t.users.member.id);
    assert.equal(t.credentialsChanged(), changes + 1);
    const stored = await t.store.apiKeys.findByHash(hashApiKey(key));
    assert.equal(stored?.name, 'laptop');
    assert.doesNotMatch(JSON.stringify(await t.store.apiKeys.list()), new RegExp(key));
    const me = await call(t, 'GET', '/api/v1/me', { authorization: `Bearer ${key}` });
    assert.equal(me.json().user.id, t.users.member.id);
    const listed = await call(t, 'GET', URL, t.bearer('member'));
    assert.doesNotMatch(JSON.stringify(listed.json()), new RegExp(key));
  });

  it('lets a key mint only keys that expire no later than it, by default when it does', async () => {
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const minter = await call(t, 'POST', URL, t.bearer('member'), { name: 'minter', expiresAt });
    const bearer = { authorization: `Bearer ${minter.json().key}` };
    const count = await keyCount();
    const later = new Date(Date.now() + 7200_000).toISOString();
    const refused = await call(t, 'POST', URL, bearer, { name: 'later', expiresAt: later });
    assert.equal(refused.status, 400);
    assert.match(refused.json().message, /body\.expiresAt: must not be later than/);
    assert.equal(await keyCount(), count);
    const inherited = await call(t, 'POST', URL, bearer, { name: 'inherits' });
    assert.equal(inherited.json().expiresAt, minter.json().expiresAt);
  });

  it('refuses a second key with the same name in the workspace (409), keeping the first', async () => {
    const first = await call(t, 'POST', URL, t.bearer('admin'), { name: 'ci' });
    const second = await call(t, 'POST', URL, t.bearer('owner'), { name: 'ci' });
    assert.equal(second.status, 409);
    const stored = await t.store.apiKeys.findByHash(hashApiKey(first.json().key));
    assert.equal(stored?.userId, t.users.admin.id);
  });

  it('shows members their own keys and admins every key', async () => {
    const mine = await call(t, 'GET', URL, t.bearer('member'));
    assert.ok(mine.json().length > 0);
    assert.ok(mine.json().every((key: { userId: string }) => key.userId === t.users.member.id));
    const all = await call(t, 'GET', URL, t.bearer('admin'));
    assert.equal(all.json().length, await keyCount());
  });

  it("lets a member revoke their own key but not another's; admins revoke any", async () => {
    const ownerKey = (await t.store.apiKeys.findByHash(hashApiKey(t.keys.owner)))!;
    const refused = await call(t, 'DELETE', `${URL}/${ownerKey.id}`, t.bearer('member'));
    assert.equal(refused.status, 404);
    assert.equal((await t.store.apiKeys.find(ownerKey.id))?.revokedAt, null);

    const own = await call(t, 'POST', URL, t.bearer('viewer'), { name: 'viewer-own' });
    const revoked = await call(t, 'DELETE', `${URL}/${own.json().id}`, t.bearer('viewer'));
    assert.equal(revoked.status, 204);
    const after = await call(t, 'GET', '/api/v1/me', { authorization: `Bearer ${own.json().key}` });
    assert.equal(after.status, 401);

    const byAdmin = await call(t, 'POST', URL, t.bearer('member'), { name: 'member-2' });
    assert.equal(
      (await call(t, 'DELETE', `${URL}/${byAdmin.json().id}`, t.bearer('admin'))).status,
      204,
    );
    assert.notEqual((await t.store.apiKeys.find(byAdmin.json().id))?.revokedAt, null);
  });

  it('answers 404 for a key of another workspace', async () => {
    const foreign = (await t.store.apiKeys.findByHash(hashApiKey(t.keys.outsider)))!;
    const response = await call(t, 'DELETE', `${URL}/${foreign.id}`, t.bearer('owner'));
    assert.equal(response.status, 404);
    assert.equal((await t.store.apiKeys.find(foreign.id))?.revokedAt, null);
  });
});
