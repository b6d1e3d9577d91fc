import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MEMBER_SECRET_PURPOSE } from '../auth/upstream-credentials/member-secrets.ts';
import { isSealedValue } from '../auth/upstream-credentials/vault.ts';
import type { StdioState } from '../upstream/stdio-supervisor.ts';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';
import { MAX_MEMBER_SECRET_BYTES } from './member-secrets-routes.ts';

const SECRETS = '/api/v1/workspaces/acme/servers/github/member-secrets';
const STATUS = '/api/v1/workspaces/acme/servers/github/status';

const stopped: StdioState = {
  running: false,
  pid: undefined,
  restarts: 0,
  consecutiveCrashes: 0,
  lastError: undefined,
  backoffMs: 0,
};

describe('member secrets routes', () => {
  let t: AdminTestApp;
  const restarted: string[] = [];

  before(async () => {
    t = await startAdminTestApp({
      memberProcesses: {
        states: (key) =>
          key === 'acme/github'
            ? [
                { userId: t.users.member.id, state: { ...stopped, restarts: 1 } },
                { userId: t.users.admin.id, state: stopped },
              ]
            : [],
        restart: async (key, userId) => void restarted.push(`${key}|${userId}`),
      },
    });
    // `member` reaches only github: make it a stdio server asking each member for a token.
    await t.store.servers.upsert({
      workspaceId: 'acme',
      id: 'github',
      name: 'GitHub',
      transport: 'stdio',
      command: process.execPath,
      env: {},
      memberEnv: {
        GITHUB_TOKEN: { secret: 'token', description: 'A personal access token' },
        GH_TOKEN: { secret: 'token', description: null },
        GITHUB_ORG: { secret: 'org', description: null },
      },
      timeoutMs: 1000,
    });
  });
  after(() => t.close());
  beforeEach(async () => {
    restarted.length = 0;
    for (const secret of await t.store.memberSecrets.list())
      await t.store.memberSecrets.remove(
        secret.workspaceId,
        secret.serverId,
        secret.userId,
        secret.name,
      );
  });

  const stored = () => t.store.memberSecrets.list();

  it('refuses unknown names, non-string, empty, too long and NUL values, changing nothing', async () => {
    for (const [body, field] of [
      [{ nope: 'v' }, 'body.nope'],
      [{ token: 'ok', nope: 'v' }, 'body.nope'],
      [{ token: 42 }, 'body.token'],
      [{ token: null }, 'body.token'],
      [{ token: { value: 'x' } }, 'body.token'],
      [{ token: '' }, 'body.token'],
      [{ token: 'x'.repeat(MAX_MEMBER_SECRET_BYTES + 1) }, 'body.token'],
      [{ token: 'a\0b' }, 'body.token'],
      [{ 'not-a-name': 'v' }, 'body'],
      [{}, 'body'],
      [['token', 'v'], 'body'],
    ] as const) {
      const response = await call(t, 'PUT', SECRETS, t.bearer('member'), body);
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(response.json().error, 'bad_request');
      assert.match(response.json().message, new RegExp(field.replaceAll('.', '\\.')));
    }
    assert.deepEqual(await stored(), []);
    assert.deepEqual(restarted, []);
  });

  it('refuses names on a server without member secrets', async () => {
    const response = await call(
      t,
      'PUT',
      '/api/v1/workspaces/acme/servers/linear/member-secrets',
      t.bearer('admin'),
      { token: 'v' },
    );
    assert.equal(response.status, 400);
    assert.match(response.json().message, /has no member secrets/);
    assert.deepEqual(await stored(), []);
  });

  it('refuses viewers, non-members and servers the caller may not reach', async () => {
    const viewer = await call(t, 'PUT', SECRETS, t.bearer('viewer'), { token: 'v' });
    assert.equal(viewer.status, 403);
    assert.equal(viewer.json().error, 'forbidden');
    const root = await t.session('root');
    const admin = await call(
      t,
      'PUT',
      SECRETS,
      { cookie: root.cookie, 'x-csrf-token': root.csrfToken },
      { token: 'v' },
    );
    assert.equal(admin.status, 403);
    assert.match(admin.json().message, /not a member/);
    const outsider = await call(t, 'PUT', SECRETS, t.bearer('outsider'), { token: 'v' });
    assert.equal(outsider.status, 404);
    const unreachable = await call(
      t,
      'PUT',
      '/api/v1/workspaces/acme/servers/linear/member-secrets',
      t.bearer('member'),
      { token: 'v' },
    );
    assert.equal(unreachable.status, 404);
    assert.equal(unreachable.json().error, 'server_not_found');
    assert.deepEqual(await stored(), []);
    assert.deepEqual(restarted, []);
  });

  it('stores the caller’s values sealed, lists names only, and restarts only their process', async () => {
    const put = await call(t, 'PUT', SECRETS, t.bearer('member'), { token: 'ghp_member_value' });
    assert.equal(put.status, 204);
    assert.deepEqual(restarted, [`acme/github|${t.users.member.id}`]);
    const [secret] = await stored();
    assert.ok(secret !== undefined);
    assert.equal(secret.userId, t.users.member.id);
    assert.ok(isSealedValue(secret.sealedValue));
    assert.ok(!secret.sealedValue.includes('ghp_member_value'));
    assert.equal(t.vault.open(MEMBER_SECRET_PURPOSE, secret.sealedValue), 'ghp_member_value');

    const listed = await call(t, 'GET', SECRETS, t.bearer('member'));
    assert.equal(listed.status, 200);
    assert.ok(!JSON.stringify(listed.json()).includes('ghp_member_value'));
    assert.deepEqual(
      listed
        .json()
        .secrets.map((s: { name: string; is_set: boolean; env_names: string[] }) => [
          s.name,
          s.is_set,
          s.env_names,
        ]),
      [
        ['token', true, ['GH_TOKEN', 'GITHUB_TOKEN']],
        ['org', false, ['GITHUB_ORG']],
      ],
    );
    assert.equal(listed.json().secrets[0].description, 'A personal access token');
    // Another member sees their own (none), never the first one's.
    const others = await call(t, 'GET', SECRETS, t.bearer('admin'));
    assert.deepEqual(
      others.json().secrets.map((s: { is_set: boolean }) => s.is_set),
      [false, false],
    );
  });

  it('deletes one value, restarting the caller’s process, and 404s a value never set', async () => {
    await call(t, 'PUT', SECRETS, t.bearer('member'), { token: 'a', org: 'b' });
    restarted.length = 0;
    const removed = await call(t, 'DELETE', `${SECRETS}/token`, t.bearer('member'));
    assert.equal(removed.status, 204);
    assert.deepEqual(
      (await stored()).map((s) => s.name),
      ['org'],
    );
    assert.deepEqual(restarted, [`acme/github|${t.users.member.id}`]);
    const again = await call(t, 'DELETE', `${SECRETS}/token`, t.bearer('member'));
    assert.equal(again.status, 404);
    const viewer = await call(t, 'DELETE', `${SECRETS}/org`, t.bearer('viewer'));
    assert.equal(viewer.status, 403);
    assert.equal((await stored()).length, 1);
  });

  it('servers API: takes member_secret env entries for stdio servers only, and shows them', async () => {
    const root = await t.session('root');
    const headers = { cookie: root.cookie, 'x-csrf-token': root.csrfToken };
    const servers = '/api/v1/workspaces/acme/servers';
    const stdio = (id: string, env: unknown) => ({
      id,
      transport: 'stdio',
      command: process.execPath,
      env,
    });
    for (const [body, field] of [
      [stdio('bad1', { T: { member_secret: 'not-a-name' } }), 'body.env.T'],
      [stdio('bad2', { T: { member_secret: 'token', extra: 1 } }), 'body.env.T'],
      [stdio('bad3', { T: { member_secret: 'token', description: '' } }), 'body.env.T'],
      [
        {
          id: 'bad4',
          transport: 'http',
          url: 'https://x.example.com/mcp',
          env: { T: { member_secret: 'token' } },
        },
        'body.env.T',
      ],
    ] as const) {
      const response = await call(t, 'POST', servers, headers, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.json().message, new RegExp(field.replaceAll('.', '\\.')));
    }
    const created = await call(
      t,
      'POST',
      servers,
      headers,
      stdio('personal', { LOG: 'debug', T: { member_secret: 'token', description: 'Yours' } }),
    );
    assert.equal(created.status, 201);
    assert.deepEqual(created.json().env_names, ['LOG']);
    assert.deepEqual(created.json().member_env, {
      T: { member_secret: 'token', description: 'Yours' },
    });
    assert.deepEqual((await t.store.servers.find('acme', 'personal'))?.memberEnv, {
      T: { secret: 'token', description: 'Yours' },
    });
    assert.equal(await t.store.servers.find('acme', 'bad1'), undefined);
    await t.store.servers.remove('acme', 'personal');
  });

  it('shows per-member processes: every member’s to admins, only their own to members', async () => {
    const admin = await call(t, 'GET', STATUS, t.bearer('admin'));
    assert.equal(admin.status, 200);
    assert.equal(admin.json().process, null);
    assert.deepEqual(
      admin
        .json()
        .member_processes.map((p: { email: string; restarts: number }) => [p.email, p.restarts]),
      [
        ['member@acme.test', 1],
        ['admin@acme.test', 0],
      ],
    );
    const member = await call(t, 'GET', STATUS, t.bearer('member'));
    assert.deepEqual(
      member.json().member_processes.map((p: { user_id: string }) => p.user_id),
      [t.users.member.id],
    );
    const viewer = await call(t, 'GET', STATUS, t.bearer('viewer'));
    assert.deepEqual(viewer.json().member_processes, []);
  });
});
