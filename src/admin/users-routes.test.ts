import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '../shared/password-hash.ts';
import { PASSWORD, call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

describe('users and account routes', () => {
  let t: AdminTestApp;
  let root: Record<string, string>;
  before(async () => {
    t = await startAdminTestApp();
    const { cookie, csrfToken } = await t.session('root');
    root = { cookie, 'x-csrf-token': csrfToken };
  });
  after(() => t.close());

  it('refuses invalid user bodies with 400 naming the field, creating nothing', async () => {
    const count = await t.store.users.count();
    for (const [body, field] of [
      [{ email: 'not-an-email' }, 'body.email'],
      [{ email: 'new@acme.test', password: 'short' }, 'body.password'],
      [{ email: 'new@acme.test', isAdmin: 'yes' }, 'body.isAdmin'],
    ] as const) {
      const response = await call(t, 'POST', '/api/v1/users', root, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.json().message, new RegExp(`${field.replace('.', '\\.')}:`));
    }
    assert.equal(await t.store.users.count(), count);
  });

  it('lets only instance administrators list and create users', async () => {
    assert.equal((await call(t, 'GET', '/api/v1/users', t.bearer('owner'))).status, 403);
    const created = await call(t, 'POST', '/api/v1/users', root, {
      email: 'new@acme.test',
      name: 'New',
      password: 'long enough password',
    });
    assert.equal(created.status, 201);
    assert.equal(created.json().isAdmin, false);
    assert.equal(JSON.stringify(created.json()).includes('password'), false);
    const duplicate = await call(t, 'POST', '/api/v1/users', root, { email: 'new@acme.test' });
    assert.equal(duplicate.status, 409);
    const list = await call(t, 'GET', '/api/v1/users', root);
    assert.ok(list.json().some((user: { email: string }) => user.email === 'new@acme.test'));
  });

  it('lets a user read and rename themselves, but not others nor their own isAdmin', async () => {
    const me = `/api/v1/users/${t.users.member.id}`;
    assert.equal((await call(t, 'GET', me, t.bearer('member'))).status, 200);
    const other = await call(t, 'GET', `/api/v1/users/${t.users.owner.id}`, t.bearer('member'));
    assert.equal(other.status, 404);
    const escalate = await call(t, 'PATCH', me, t.bearer('member'), { isAdmin: true });
    assert.equal(escalate.status, 403);
    assert.equal((await t.store.users.find(t.users.member.id))?.isAdmin, false);
    const renamed = await call(t, 'PATCH', me, t.bearer('member'), { name: 'Mem Ber' });
    assert.equal(renamed.json().name, 'Mem Ber');
  });

  it('keeps at least one instance administrator', async () => {
    const response = await call(t, 'PATCH', `/api/v1/users/${t.users.root.id}`, root, {
      isAdmin: false,
    });
    assert.equal(response.status, 409);
    assert.equal((await t.store.users.find(t.users.root.id))?.isAdmin, true);
  });

  it('changes a password only with the current one', async () => {
    const wrong = await call(t, 'POST', '/api/v1/me/password', t.bearer('viewer'), {
      currentPassword: 'wrong password',
      newPassword: 'a brand new password',
    });
    assert.equal(wrong.status, 403);
    const tooShort = await call(t, 'POST', '/api/v1/me/password', t.bearer('viewer'), {
      currentPassword: PASSWORD,
      newPassword: 'short',
    });
    assert.equal(tooShort.status, 400);
    assert.match(tooShort.json().message, /body\.newPassword:/);
    const stored = (await t.store.users.find(t.users.viewer.id))!.passwordHash!;
    assert.ok(await verifyPassword(PASSWORD, stored));
    const changed = await call(t, 'POST', '/api/v1/me/password', t.bearer('viewer'), {
      currentPassword: PASSWORD,
      newPassword: 'a brand new password',
    });
    assert.equal(changed.status, 204);
    const now = (await t.store.users.find(t.users.viewer.id))!.passwordHash!;
    assert.ok(await verifyPassword('a brand new password', now));
  });

  it('refuses to delete the last owner of a workspace, then deletes with their grants', async () => {
    const lastOwner = await call(t, 'DELETE', `/api/v1/users/${t.users.outsider.id}`, root);
    assert.equal(lastOwner.status, 409);
    assert.ok(await t.store.users.find(t.users.outsider.id));
    await t.store.oauthArtefacts.upsert('Grant', 'grant-of-member', {
      payload: { accountId: t.users.member.id, clientId: 'client' },
      accountId: t.users.member.id,
      clientId: 'client',
      expiresAt: new Date(Date.now() + 3600_000),
    });
    assert.equal(
      (await call(t, 'DELETE', `/api/v1/users/${t.users.member.id}`, t.bearer('owner'))).status,
      403,
    );
    const deleted = await call(t, 'DELETE', `/api/v1/users/${t.users.member.id}`, root);
    assert.equal(deleted.status, 204);
    assert.equal(await t.store.users.find(t.users.member.id), undefined);
    assert.equal(await t.store.oauthArtefacts.find('Grant', 'grant-of-member'), undefined);
    assert.deepEqual(t.revokedGrants, ['grant-of-member']);
  });
});
