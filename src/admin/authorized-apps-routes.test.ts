import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

const URL = '/api/v1/me/authorized-apps';
const RESOURCE = 'https://gateway.example.com/acme/github/mcp';

describe('authorized apps routes', () => {
  let t: AdminTestApp;
  const epoch = Math.floor(Date.now() / 1000);

  async function grant(id: string, userId: string, clientId: string): Promise<void> {
    await t.store.oauthArtefacts.upsert('Grant', id, {
      // oidc-provider's Grant payload shape.
      payload: {
        jti: id,
        kind: 'Grant',
        accountId: userId,
        clientId,
        openid: { scope: 'offline_access' },
        resources: { [RESOURCE]: 'mcp offline_access' },
        iat: epoch,
        exp: epoch + 3600,
      },
      accountId: userId,
      clientId,
      expiresAt: new Date((epoch + 3600) * 1000),
    });
    await t.store.oauthArtefacts.upsert('AccessToken', `token-of-${id}`, {
      payload: { accountId: userId, clientId, grantId: id },
      grantId: id,
      accountId: userId,
      clientId,
      expiresAt: new Date((epoch + 600) * 1000),
    });
  }

  before(async () => {
    t = await startAdminTestApp();
    await t.store.oauthArtefacts.upsert('Client', 'claude', {
      payload: { client_id: 'claude', client_name: 'Claude' },
      clientId: 'claude',
    });
    await grant('grant-member-claude', t.users.member.id, 'claude');
    await grant('grant-member-cimd', t.users.member.id, 'https://app.example.com/client.json');
    await grant('grant-owner', t.users.owner.id, 'claude');
  });
  after(() => t.close());

  it("lists the caller's grants only, with client names, scopes and resources", async () => {
    const response = await call(t, 'GET', URL, t.bearer('member'));
    assert.equal(response.status, 200);
    const apps = response
      .json()
      .sort((a: { grantId: string }, b: { grantId: string }) => a.grantId.localeCompare(b.grantId));
    assert.deepEqual(apps, [
      {
        grantId: 'grant-member-cimd',
        clientId: 'https://app.example.com/client.json',
        clientName: 'https://app.example.com/client.json',
        scopes: ['offline_access'],
        resources: [{ resource: RESOURCE, scopes: ['mcp', 'offline_access'] }],
        createdAt: new Date(epoch * 1000).toISOString(),
        expiresAt: new Date((epoch + 3600) * 1000).toISOString(),
      },
      {
        grantId: 'grant-member-claude',
        clientId: 'claude',
        clientName: 'Claude',
        scopes: ['offline_access'],
        resources: [{ resource: RESOURCE, scopes: ['mcp', 'offline_access'] }],
        createdAt: new Date(epoch * 1000).toISOString(),
        expiresAt: new Date((epoch + 3600) * 1000).toISOString(),
      },
    ]);
  });

  it("shows admins the members' apps reaching the workspace, and refuses members", async () => {
    await grant('grant-elsewhere', t.users.viewer.id, 'claude');
    await t.store.oauthArtefacts.upsert('Grant', 'grant-other-workspace', {
      payload: {
        accountId: t.users.viewer.id,
        clientId: 'claude',
        resources: { 'https://gateway.example.com/other/x/mcp': 'mcp' },
      },
      accountId: t.users.viewer.id,
      clientId: 'claude',
      expiresAt: new Date((epoch + 3600) * 1000),
    });
    const refused = await call(
      t,
      'GET',
      '/api/v1/workspaces/acme/authorized-apps',
      t.bearer('member'),
    );
    assert.equal(refused.status, 403);
    const response = await call(
      t,
      'GET',
      '/api/v1/workspaces/acme/authorized-apps',
      t.bearer('admin'),
    );
    assert.equal(response.status, 200);
    const person = new Map(Object.entries(t.users).map(([name, user]) => [user.id, name]));
    const seen = response
      .json()
      .map((app: { grantId: string; userId: string }) => `${app.grantId}:${person.get(app.userId)}`)
      .sort();
    assert.deepEqual(seen, [
      'grant-elsewhere:viewer',
      'grant-member-cimd:member',
      'grant-member-claude:member',
      'grant-owner:owner',
    ]);
    await t.store.oauthArtefacts.revokeByGrantId('grant-elsewhere');
    await t.store.oauthArtefacts.destroy('Grant', 'grant-elsewhere');
  });

  it("answers 404 for another user's grant and for an unknown one, revoking nothing", async () => {
    for (const id of ['grant-owner', 'nope']) {
      const response = await call(t, 'DELETE', `${URL}/${id}`, t.bearer('member'));
      assert.equal(response.status, 404);
    }
    assert.ok(await t.store.oauthArtefacts.find('Grant', 'grant-owner'));
    assert.ok(await t.store.oauthArtefacts.find('AccessToken', 'token-of-grant-owner'));
    assert.deepEqual(t.revokedGrants, []);
  });

  it('revokes a grant with every token issued under it, and says so', async () => {
    const response = await call(t, 'DELETE', `${URL}/grant-member-claude`, t.bearer('member'));
    assert.equal(response.status, 204);
    assert.equal(await t.store.oauthArtefacts.find('Grant', 'grant-member-claude'), undefined);
    assert.equal(
      await t.store.oauthArtefacts.find('AccessToken', 'token-of-grant-member-claude'),
      undefined,
    );
    assert.deepEqual(t.revokedGrants, ['grant-member-claude']);
    const left = await call(t, 'GET', URL, t.bearer('member'));
    assert.deepEqual(
      left.json().map((app: { grantId: string }) => app.grantId),
      ['grant-member-cimd'],
    );
  });
});

describe("admins revoking members' apps in their workspace", () => {
  let t: AdminTestApp;
  const epoch = Math.floor(Date.now() / 1000);
  const ACME = 'https://gateway.example.com/acme/github/mcp';
  const ACME_LINEAR = 'https://gateway.example.com/acme/linear/mcp';
  const OTHER = 'https://gateway.example.com/other/x/mcp';
  const url = (grantId: string, workspace = 'acme') =>
    `/api/v1/workspaces/${workspace}/authorized-apps/${grantId}`;

  /** A grant over `resources`, with one refresh token per resource. */
  async function grant(id: string, userId: string, resources: string[]): Promise<void> {
    const expiresAt = new Date((epoch + 3600) * 1000);
    await t.store.oauthArtefacts.upsert('Grant', id, {
      payload: {
        jti: id,
        kind: 'Grant',
        accountId: userId,
        clientId: 'claude',
        openid: { scope: 'offline_access' },
        resources: Object.fromEntries(resources.map((resource) => [resource, 'mcp'])),
        iat: epoch,
        exp: epoch + 3600,
      },
      accountId: userId,
      clientId: 'claude',
      expiresAt,
    });
    for (const [index, resource] of resources.entries()) {
      await t.store.oauthArtefacts.upsert('RefreshToken', `${id}-refresh-${index}`, {
        payload: { accountId: userId, clientId: 'claude', grantId: id, resource },
        grantId: id,
        accountId: userId,
        clientId: 'claude',
        expiresAt,
      });
    }
  }

  async function resourcesOf(id: string): Promise<string[] | undefined> {
    const found = await t.store.oauthArtefacts.find('Grant', id);
    return found === undefined ? undefined : Object.keys(found.payload.resources as object).sort();
  }

  const refreshTokens = async (id: string) =>
    (await t.store.oauthArtefacts.listByModel('RefreshToken'))
      .filter((token) => token.grantId === id)
      .map((token) => token.payload.resource)
      .sort();

  before(async () => {
    t = await startAdminTestApp();
    await grant('member-acme', t.users.member.id, [ACME, ACME_LINEAR]);
    await grant('member-both', t.users.member.id, [ACME, OTHER]);
    await grant('viewer-other', t.users.viewer.id, [OTHER]);
    await grant('outsider-acme', t.users.outsider.id, [ACME]);
  });
  after(() => t.close());

  it('refuses members with 403 and changes nothing', async () => {
    const response = await call(t, 'DELETE', url('member-acme'), t.bearer('member'));
    assert.equal(response.status, 403);
    assert.deepEqual(await resourcesOf('member-acme'), [ACME, ACME_LINEAR].sort());
    assert.deepEqual(t.revokedGrants, []);
  });

  it("answers 404 for an unknown grant, a non-member's, and one not reaching the workspace", async () => {
    for (const id of ['nope', 'outsider-acme', 'viewer-other']) {
      const response = await call(t, 'DELETE', url(id), t.bearer('admin'));
      assert.equal(response.status, 404, id);
      assert.equal(response.json().error, 'not_found');
    }
    assert.deepEqual(await resourcesOf('outsider-acme'), [ACME]);
    assert.deepEqual(await resourcesOf('viewer-other'), [OTHER]);
    assert.deepEqual(await refreshTokens('outsider-acme'), [ACME]);
    assert.deepEqual(t.revokedGrants, []);
  });

  it('answers 404 to an owner of another workspace, whose grants it is not', async () => {
    const response = await call(t, 'DELETE', url('member-acme'), t.bearer('outsider'));
    assert.equal(response.status, 404);
    const elsewhere = await call(t, 'DELETE', url('member-both', 'other'), t.bearer('outsider'));
    assert.equal(elsewhere.status, 404, 'the member does not belong to that workspace');
    assert.deepEqual(await resourcesOf('member-both'), [ACME, OTHER].sort());
    assert.deepEqual(t.revokedGrants, []);
  });

  it('revokes a grant reaching only this workspace whole, audited with its owner', async () => {
    const response = await call(t, 'DELETE', url('member-acme'), t.bearer('admin'));
    assert.equal(response.status, 204);
    assert.equal(await resourcesOf('member-acme'), undefined);
    assert.deepEqual(await refreshTokens('member-acme'), []);
    assert.deepEqual(t.revokedGrants, ['member-acme']);
    const [entry] = await t.store.auditLog.list({ targetId: 'member-acme' });
    assert.equal(entry?.action, 'authorized_app.revoke');
    assert.equal(entry?.actorId, t.users.admin.id);
    assert.equal(entry?.workspaceId, 'acme');
    assert.equal((entry?.before as { accountId: string }).accountId, t.users.member.id);
    assert.equal(entry?.after, null);
  });

  it("withdraws only this workspace's resources from a grant that reaches another", async () => {
    const response = await call(t, 'DELETE', url('member-both'), t.bearer('owner'));
    assert.equal(response.status, 204);
    assert.deepEqual(await resourcesOf('member-both'), [OTHER]);
    assert.deepEqual(await refreshTokens('member-both'), [OTHER]);
    assert.deepEqual(t.revokedGrants, ['member-acme', 'member-both']);
    const [entry] = await t.store.auditLog.list({ targetId: 'member-both' });
    assert.equal(entry?.action, 'authorized_app.revoke');
    assert.equal(entry?.actorId, t.users.owner.id);
    assert.equal(entry?.workspaceId, 'acme');
    const after = entry?.after as { accountId: string; payload: { resources: object } };
    assert.equal(after.accountId, t.users.member.id);
    assert.deepEqual(Object.keys(after.payload.resources), [OTHER]);

    const again = await call(t, 'DELETE', url('member-both'), t.bearer('admin'));
    assert.equal(again.status, 404, 'it no longer reaches this workspace');
    const listed = await call(
      t,
      'GET',
      '/api/v1/workspaces/acme/authorized-apps',
      t.bearer('admin'),
    );
    assert.deepEqual(listed.json(), [], 'no member app reaches the workspace any more');
  });
});
