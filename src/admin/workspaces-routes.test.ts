import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

describe('workspaces routes', () => {
  let t: AdminTestApp;
  before(async () => {
    t = await startAdminTestApp();
  });
  after(() => t.close());

  it('refuses invalid workspace ids and names with 400, creating nothing', async () => {
    const { cookie, csrfToken } = await t.session('root');
    const headers = { cookie, 'x-csrf-token': csrfToken };
    for (const [body, field] of [
      [{ id: 'Has Spaces', name: 'x' }, 'body.id'],
      [{ id: 'a/b', name: 'x' }, 'body.id'],
      [{ id: 'fine', name: '' }, 'body.name'],
      [{ id: 'fine' }, 'body.name'],
    ] as const) {
      const response = await call(t, 'POST', '/api/v1/workspaces', headers, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.json().message, new RegExp(`${field.replace('.', '\\.')}:`));
    }
    assert.deepEqual((await t.store.workspaces.list()).map((workspace) => workspace.id).sort(), [
      'acme',
      'other',
    ]);
  });

  it('lets only instance administrators create workspaces; the creator becomes owner', async () => {
    const refused = await call(t, 'POST', '/api/v1/workspaces', t.bearer('owner'), {
      id: 'mine',
      name: 'Mine',
    });
    assert.equal(refused.status, 403);
    assert.equal(await t.store.workspaces.find('mine'), undefined);
    const { cookie, csrfToken } = await t.session('root');
    const headers = { cookie, 'x-csrf-token': csrfToken };
    const created = await call(t, 'POST', '/api/v1/workspaces', headers, {
      id: 'mine',
      name: 'Mine',
    });
    assert.equal(created.status, 201);
    assert.equal(created.json().role, 'owner');
    assert.equal((await t.store.members.find('mine', t.users.root.id))?.role, 'owner');
    const again = await call(t, 'POST', '/api/v1/workspaces', headers, {
      id: 'mine',
      name: 'Again',
    });
    assert.equal(again.status, 409);
    assert.equal((await t.store.workspaces.find('mine'))?.name, 'Mine');
  });

  it('lists the workspaces the caller belongs to, with their role', async () => {
    const { cookie } = await t.session('member');
    const response = await call(t, 'GET', '/api/v1/workspaces', { cookie });
    assert.deepEqual(
      response.json().map((w: { id: string; role: string }) => [w.id, w.role]),
      [['acme', 'member']],
    );
  });

  it('lets admins rename a workspace but not members or viewers', async () => {
    for (const person of ['viewer', 'member'] as const) {
      const response = await call(t, 'PATCH', '/api/v1/workspaces/acme', t.bearer(person), {
        name: 'Renamed',
      });
      assert.equal(response.status, 403);
    }
    assert.equal((await t.store.workspaces.find('acme'))?.name, 'Acme');
    const renamed = await call(t, 'PATCH', '/api/v1/workspaces/acme', t.bearer('admin'), {
      name: 'Acme Inc',
    });
    assert.equal(renamed.status, 200);
    assert.equal((await t.store.workspaces.find('acme'))?.name, 'Acme Inc');
  });

  it('lets only owners delete a workspace; others and strangers change nothing', async () => {
    await t.store.workspaces.upsert({ id: 'doomed', name: 'Doomed' });
    await t.store.members.upsert({
      workspaceId: 'doomed',
      userId: t.users.outsider.id,
      role: 'owner',
    });
    await t.store.members.upsert({
      workspaceId: 'doomed',
      userId: t.users.admin.id,
      role: 'admin',
    });
    const asAdmin = await t.session('admin');
    const refused = await call(t, 'DELETE', '/api/v1/workspaces/doomed', {
      cookie: asAdmin.cookie,
      'x-csrf-token': asAdmin.csrfToken,
    });
    assert.equal(refused.status, 403);
    const stranger = await call(t, 'DELETE', '/api/v1/workspaces/doomed', t.bearer('owner'));
    assert.equal(stranger.status, 404);
    assert.ok(await t.store.workspaces.find('doomed'));
    const asOwner = await t.session('outsider');
    const deleted = await call(t, 'DELETE', '/api/v1/workspaces/doomed', {
      cookie: asOwner.cookie,
      'x-csrf-token': asOwner.csrfToken,
    });
    assert.equal(deleted.status, 204);
    assert.equal(await t.store.workspaces.find('doomed'), undefined);
    assert.deepEqual(await t.store.members.list('doomed'), []);
  });

  it('lists only the servers the caller may reach, with endpoints and no environment', async () => {
    const member = await call(t, 'GET', '/api/v1/workspaces/acme/servers', t.bearer('member'));
    assert.deepEqual(member.json(), [
      {
        id: 'github',
        name: 'github',
        transport: 'http',
        endpoint: 'https://gateway.example.com/acme/github/mcp',
      },
    ]);
    const owner = await call(t, 'GET', '/api/v1/workspaces/acme/servers', t.bearer('owner'));
    assert.deepEqual(
      owner.json().map((server: { id: string }) => server.id),
      ['github', 'linear'],
    );
    assert.doesNotMatch(JSON.stringify(owner.json()), /secret-value|TOKEN/);
  });

  it('narrows the servers to those an API key names', async () => {
    const key = await t.addApiKey('owner', 'acme', ['linear']);
    const response = await call(t, 'GET', '/api/v1/workspaces/acme/servers', {
      authorization: `Bearer ${key}`,
    });
    assert.deepEqual(
      response.json().map((server: { id: string }) => server.id),
      ['linear'],
    );
  });
});
