import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../shared/api-key-hash.ts';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

describe('admin API authentication', () => {
  let t: AdminTestApp;
  before(async () => {
    t = await startAdminTestApp();
  });
  after(() => t.close());

  it('answers 401 with a Bearer challenge and a JSON error when no credentials are sent', async () => {
    const response = await call(t, 'GET', '/api/v1/me', {});
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Bearer');
    assert.equal(response.json().error, 'unauthorized');
    assert.equal(typeof response.json().message, 'string');
  });

  it('refuses a malformed Authorization header, an unknown key and a session-less cookie', async () => {
    for (const headers of [
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'Bearer pcl_unknown_key_unknown_key_unknown_key_0000' },
      { cookie: 'portcullis_session=not-a-session-token-not-a-session-token' },
    ] as Record<string, string>[]) {
      const response = await call(t, 'GET', '/api/v1/me', headers);
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(response.json().error, 'unauthorized');
    }
  });

  it('refuses revoked and expired keys, and keys of users no longer members', async () => {
    const revoked = await t.addApiKey('member', 'acme');
    await t.store.apiKeys.revoke(
      (await t.store.apiKeys.findByHash(hashApiKey(revoked)))!.id,
      new Date(),
    );
    const expired = await t.addApiKey('member', 'acme');
    const expiredKey = (await t.store.apiKeys.findByHash(hashApiKey(expired)))!;
    await t.store.apiKeys.upsert({ ...expiredKey, expiresAt: new Date(Date.now() - 1000) });
    const stranded = await t.addApiKey('outsider', 'acme');
    for (const key of [revoked, expired, stranded]) {
      const response = await call(t, 'GET', '/api/v1/me', { authorization: `Bearer ${key}` });
      assert.equal(response.status, 401);
    }
  });

  it('lets an API key act only inside its own workspace', async () => {
    const mine = await call(t, 'GET', '/api/v1/workspaces/acme', t.bearer('owner'));
    assert.equal(mine.status, 200);
    // The owner also belongs to `other`, yet their `acme` key does not reach it: it looks unknown.
    await t.store.members.upsert({ workspaceId: 'other', userId: t.users.owner.id, role: 'owner' });
    const elsewhere = await call(t, 'GET', '/api/v1/workspaces/other', t.bearer('owner'));
    assert.equal(elsewhere.status, 404);
    assert.equal(elsewhere.json().error, 'workspace_not_found');
    const { cookie } = await t.session('owner');
    assert.equal((await call(t, 'GET', '/api/v1/workspaces/other', { cookie })).status, 200);
    await t.store.members.remove('other', t.users.owner.id);
  });

  it('gives browser sessions their CSRF token and accepts safe methods without it', async () => {
    const { cookie, csrfToken } = await t.session('member');
    const response = await call(t, 'GET', '/api/v1/me', { cookie });
    assert.equal(response.status, 200);
    assert.equal(response.json().csrfToken, csrfToken);
    assert.equal(response.json().authenticatedWith, 'session');
  });

  it('refuses unsafe methods from a session without the matching X-CSRF-Token, changing nothing', async () => {
    const { cookie, csrfToken } = await t.session('owner');
    const url = '/api/v1/workspaces/acme';
    for (const headers of [
      { cookie },
      { cookie, 'x-csrf-token': `${csrfToken.slice(1)}x` },
    ] as Record<string, string>[]) {
      const response = await call(t, 'PATCH', url, headers, { name: 'Hijacked' });
      assert.equal(response.status, 403);
      assert.equal(response.json().error, 'csrf_failed');
    }
    assert.equal((await t.store.workspaces.find('acme'))?.name, 'Acme');
    const allowed = await call(
      t,
      'PATCH',
      url,
      { cookie, 'x-csrf-token': csrfToken },
      { name: 'Acme' },
    );
    assert.equal(allowed.status, 200);
  });

  it('does not give instance-administrator powers to an API key', async () => {
    const { cookie } = await t.session('root');
    assert.equal((await call(t, 'GET', '/api/v1/users', { cookie })).status, 200);
    await t.store.members.upsert({ workspaceId: 'other', userId: t.users.root.id, role: 'viewer' });
    const key = await t.addApiKey('root', 'other');
    const response = await call(t, 'GET', '/api/v1/users', { authorization: `Bearer ${key}` });
    assert.equal(response.status, 403);
    await t.store.members.remove('other', t.users.root.id);
  });
});
