import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';
import { hashInvitationToken } from './invitations-routes.ts';

const URL = '/api/v1/workspaces/acme/invitations';

describe('invitations routes', () => {
  let t: AdminTestApp;
  before(async () => {
    t = await startAdminTestApp();
  });
  after(() => t.close());

  it('refuses invalid invitations with 400 naming the field, creating nothing', async () => {
    for (const [body, field] of [
      [{ email: 'nobody', role: 'member' }, 'body.email'],
      [{ email: 'a@b.test', role: 'king' }, 'body.role'],
      [{ email: 'a@b.test', role: 'member', servers: ['ghost'] }, 'body.servers.0'],
      [{ email: 'a@b.test', role: 'member', expiresInHours: 0 }, 'body.expiresInHours'],
    ] as const) {
      const response = await call(t, 'POST', URL, t.bearer('admin'), body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.json().message, new RegExp(`${field.replaceAll('.', '\\.')}:`));
    }
    assert.deepEqual(await t.store.invitations.list('acme'), []);
  });

  it('refuses invitations from members and owner invitations from admins', async () => {
    const member = await call(t, 'POST', URL, t.bearer('member'), {
      email: 'a@b.test',
      role: 'viewer',
    });
    assert.equal(member.status, 403);
    assert.equal((await call(t, 'GET', URL, t.bearer('viewer'))).status, 403);
    const owner = await call(t, 'POST', URL, t.bearer('admin'), {
      email: 'a@b.test',
      role: 'owner',
    });
    assert.equal(owner.status, 403);
    assert.deepEqual(await t.store.invitations.list('acme'), []);
  });

  it('returns the link once and stores only the SHA-256 of its 256-bit token', async () => {
    const before = Date.now();
    const response = await call(t, 'POST', URL, t.bearer('admin'), {
      email: 'new@acme.test',
      role: 'member',
      servers: ['github'],
    });
    assert.equal(response.status, 201);
    const { url, id, expiresAt, servers, invitedBy } = response.json();
    const match = /^https:\/\/gateway\.example\.com\/invitations\/([A-Za-z0-9_-]{43})$/.exec(url);
    assert.ok(match, url);
    const stored = await t.store.invitations.find(id);
    assert.equal(stored?.tokenHash, hashInvitationToken(match[1]!));
    assert.deepEqual(servers, ['github']);
    assert.equal(invitedBy, t.users.admin.id);
    const hours = (Date.parse(expiresAt) - before) / 3600_000;
    assert.ok(hours > 167.9 && hours < 168.1, String(hours));
    const listed = await call(t, 'GET', URL, t.bearer('admin'));
    assert.equal(listed.json().length, 1);
    assert.equal(JSON.stringify(listed.json()).includes(match[1]!), false);
  });

  it('revokes an invitation; unknown ids and other workspaces are 404', async () => {
    const created = await call(t, 'POST', URL, t.bearer('owner'), {
      email: 'x@acme.test',
      role: 'viewer',
    });
    const id = created.json().id;
    assert.equal((await call(t, 'DELETE', `${URL}/nope`, t.bearer('owner'))).status, 404);
    const foreign = await call(
      t,
      'DELETE',
      `/api/v1/workspaces/other/invitations/${id}`,
      t.bearer('outsider'),
    );
    assert.equal(foreign.status, 404);
    assert.equal((await t.store.invitations.find(id))?.revokedAt, null);
    assert.equal((await call(t, 'DELETE', `${URL}/${id}`, t.bearer('admin'))).status, 204);
    assert.notEqual((await t.store.invitations.find(id))?.revokedAt, null);
  });
});
