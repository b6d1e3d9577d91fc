import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../shared/api-key-hash.ts';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

describe('members routes', () => {
  let t: AdminTestApp;
  const members = () => t.store.members.list('acme');
  const memberUrl = (person: keyof AdminTestApp['users']) =>
    `/api/v1/workspaces/acme/members/${t.users[person].id}`;
  before(async () => {
    t = await startAdminTestApp();
  });
  after(() => t.close());

  it('refuses invalid bodies with 400 naming each field, changing nothing', async () => {
    const before = await members();
    for (const [body, field] of [
      [{ role: 'superuser', servers: null }, 'body.role'],
      [{ role: 'member' }, 'body.servers'],
      [{ role: 'member', servers: 'github' }, 'body.servers'],
      [{ role: 'member', servers: null, extra: 1 }, 'body'],
      [{ role: 'member', servers: ['github', 'nope'] }, 'body.servers.1'],
    ] as const) {
      const response = await call(t, 'PUT', memberUrl('viewer'), t.bearer('owner'), body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.json().error, 'bad_request');
      assert.match(response.json().message, new RegExp(`${field.replaceAll('.', '\\.')}[.:]`));
    }
    const bad = await t.app.inject({
      method: 'PUT',
      url: memberUrl('viewer'),
      headers: t.bearer('owner'),
      payload: '{"role":',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error, 'parse_error');
    assert.deepEqual(await members(), before);
  });

  it('lets viewers and members read the member list but not change it', async () => {
    const before = await members();
    for (const person of ['viewer', 'member'] as const) {
      const list = await call(t, 'GET', '/api/v1/workspaces/acme/members', t.bearer(person));
      assert.equal(list.status, 200);
      assert.equal(list.json().length, before.length);
      const change = await call(t, 'PUT', memberUrl('viewer'), t.bearer(person), {
        role: 'admin',
        servers: null,
      });
      assert.equal(change.status, 403);
      assert.equal(change.json().error, 'forbidden');
    }
    assert.deepEqual(await members(), before);
  });

  it('answers 404 for a workspace that does not exist and for one the caller is not in, alike', async () => {
    const unknown = await call(t, 'GET', '/api/v1/workspaces/nope/members', t.bearer('owner'));
    const foreign = await call(t, 'GET', '/api/v1/workspaces/acme/members', t.bearer('outsider'));
    assert.equal(unknown.status, 404);
    assert.deepEqual(foreign.json(), unknown.json());
  });

  it('lets admins manage members but not owners, nor make anyone owner', async () => {
    const promote = await call(t, 'PUT', memberUrl('viewer'), t.bearer('admin'), {
      role: 'owner',
      servers: null,
    });
    assert.equal(promote.status, 403);
    const demoteOwner = await call(t, 'PUT', memberUrl('owner'), t.bearer('admin'), {
      role: 'member',
      servers: null,
    });
    assert.equal(demoteOwner.status, 403);
    const removeOwner = await call(t, 'DELETE', memberUrl('owner'), t.bearer('admin'));
    assert.equal(removeOwner.status, 403);
    assert.equal((await t.store.members.find('acme', t.users.owner.id))?.role, 'owner');
  });

  it('changes role and server access, validated against the workspace, and reloads credentials', async () => {
    const changesBefore = t.credentialsChanged();
    const response = await call(t, 'PUT', memberUrl('viewer'), t.bearer('admin'), {
      role: 'member',
      servers: ['linear'],
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), {
      userId: t.users.viewer.id,
      email: 'viewer@acme.test',
      name: 'viewer',
      role: 'member',
      servers: ['linear'],
    });
    const stored = await t.store.members.find('acme', t.users.viewer.id);
    assert.deepEqual([stored?.role, stored?.serverIds], ['member', ['linear']]);
    assert.equal(t.credentialsChanged(), changesBefore + 1);
    await call(t, 'PUT', memberUrl('viewer'), t.bearer('admin'), { role: 'viewer', servers: null });
  });

  it('adds an existing user as a member; an unknown user is 404', async () => {
    const unknown = await call(
      t,
      'PUT',
      '/api/v1/workspaces/acme/members/nobody',
      t.bearer('owner'),
      {
        role: 'member',
        servers: null,
      },
    );
    assert.equal(unknown.status, 404);
    const added = await call(t, 'PUT', memberUrl('outsider'), t.bearer('owner'), {
      role: 'viewer',
      servers: null,
    });
    assert.equal(added.status, 200);
    assert.equal((await t.store.members.find('acme', t.users.outsider.id))?.role, 'viewer');
    assert.equal((await call(t, 'DELETE', memberUrl('outsider'), t.bearer('owner'))).status, 204);
  });

  it('keeps at least one owner: demoting or removing the last owner is 409, changing nothing', async () => {
    const demote = await call(t, 'PUT', memberUrl('owner'), t.bearer('owner'), {
      role: 'admin',
      servers: null,
    });
    assert.equal(demote.status, 409);
    assert.equal(demote.json().error, 'conflict');
    const leave = await call(t, 'DELETE', memberUrl('owner'), t.bearer('owner'));
    assert.equal(leave.status, 409);
    assert.equal((await t.store.members.find('acme', t.users.owner.id))?.role, 'owner');
  });

  it('lets an owner hand over: promote another owner, then step down', async () => {
    const promote = await call(t, 'PUT', memberUrl('admin'), t.bearer('owner'), {
      role: 'owner',
      servers: null,
    });
    assert.equal(promote.status, 200);
    const stepDown = await call(t, 'PUT', memberUrl('owner'), t.bearer('owner'), {
      role: 'admin',
      servers: null,
    });
    assert.equal(stepDown.status, 200);
    // Restore: the new owner promotes the old one back and steps down.
    await call(t, 'PUT', memberUrl('owner'), t.bearer('admin'), { role: 'owner', servers: null });
    await call(t, 'PUT', memberUrl('admin'), t.bearer('owner'), { role: 'admin', servers: null });
    assert.equal((await t.store.members.find('acme', t.users.admin.id))?.role, 'admin');
  });

  it('removes a member and revokes their API keys in the workspace', async () => {
    await t.store.members.upsert({
      workspaceId: 'acme',
      userId: t.users.outsider.id,
      role: 'member',
    });
    const key = await t.addApiKey('outsider', 'acme');
    const response = await call(t, 'DELETE', memberUrl('outsider'), t.bearer('admin'));
    assert.equal(response.status, 204);
    assert.equal(await t.store.members.find('acme', t.users.outsider.id), undefined);
    assert.notEqual((await t.store.apiKeys.findByHash(hashApiKey(key)))?.revokedAt, null);
    const again = await call(t, 'DELETE', memberUrl('outsider'), t.bearer('admin'));
    assert.equal(again.status, 404);
  });
});
