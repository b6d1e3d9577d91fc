import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

const SERVERS = '/api/v1/workspaces/acme/servers';
const http = (id: string, extra: object = {}) => ({
  id,
  transport: 'http',
  url: `https://${id}.example.com/mcp`,
  ...extra,
});
const stdio = (id: string, extra: object = {}) => ({
  id,
  transport: 'stdio',
  command: '/usr/bin/env',
  args: ['node', 'server.js'],
  cwd: '/srv/mcp',
  env: { LOG_LEVEL: 'debug' },
  ...extra,
});

describe('servers routes', () => {
  let t: AdminTestApp;
  let root: Record<string, string>;
  const ids = async () =>
    (await t.store.servers.list('acme')).map((server) => `${server.id}:${server.url}`).sort();

  before(async () => {
    t = await startAdminTestApp();
    const { cookie, csrfToken } = await t.session('root');
    root = { cookie, 'x-csrf-token': csrfToken };
  });
  after(() => t.close());

  it('refuses each invalid definition with 400 naming the field, changing nothing', async () => {
    const before = await ids();
    const changes = t.credentialsChanged();
    for (const [body, field] of [
      [{ ...http('Bad Id') }, 'body.id'],
      [{ ...http('x'), transport: 'websocket' }, 'body.transport'],
      [{ id: 'x', transport: 'http' }, 'body.url'],
      [{ ...http('x'), url: 'ftp://x.example.com/mcp' }, 'body.url'],
      [{ ...http('x'), url: 'not a url' }, 'body.url'],
      [{ ...http('x'), command: 'node' }, 'body.command'],
      [{ ...http('x'), cwd: '/tmp' }, 'body.cwd'],
      [{ ...stdio('x'), command: undefined }, 'body.command'],
      [{ ...stdio('x'), url: 'https://x.example.com/mcp' }, 'body.url'],
      [{ ...stdio('x'), cwd: 'relative/dir' }, 'body.cwd'],
      [{ ...stdio('x'), env: { 'NOT-A-NAME': 'v' } }, 'body.env'],
      [{ ...stdio('x'), env: { TOKEN: { value_env: 'GITHUB_TOKEN' } } }, 'body.env.TOKEN'],
      [{ ...http('x'), timeout_ms: 99 }, 'body.timeout_ms'],
      [{ ...http('x'), timeout_ms: 3_600_001 }, 'body.timeout_ms'],
      [{ ...http('x'), timeout_ms: 1.5 }, 'body.timeout_ms'],
      [{ ...http('x'), headers: {} }, 'body: Unrecognized key'],
    ] as const) {
      const response = await call(t, 'POST', SERVERS, root, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.json().error, 'bad_request');
      assert.match(response.json().message, new RegExp(`${field.replaceAll('.', '\\.')}[.:]`));
    }
    const notJson = await t.app.inject({
      method: 'POST',
      url: SERVERS,
      headers: { ...root, 'content-type': 'application/json' },
      payload: '{"id":',
    });
    assert.equal(notJson.statusCode, 400);
    assert.deepEqual(await ids(), before);
    assert.equal(t.credentialsChanged(), changes);
  });

  it('refuses viewers and members with 403, and stdio to anyone but instance administrators', async () => {
    for (const person of ['viewer', 'member'] as const) {
      const created = await call(t, 'POST', SERVERS, t.bearer(person), http('notes'));
      assert.equal(created.status, 403, person);
      const replaced = await call(t, 'PUT', `${SERVERS}/github`, t.bearer(person), http('github'));
      assert.equal(replaced.status, 403, person);
      const removed = await call(t, 'DELETE', `${SERVERS}/github`, t.bearer(person));
      assert.equal(removed.status, 403, person);
    }
    for (const person of ['owner', 'admin'] as const) {
      const created = await call(t, 'POST', SERVERS, t.bearer(person), stdio('local'));
      assert.equal(created.status, 403, person);
      assert.match(created.json().message, /server\.run_command/);
      const replaced = await call(t, 'PUT', `${SERVERS}/github`, t.bearer(person), stdio('github'));
      assert.equal(replaced.status, 403, person);
    }
    const { cookie, csrfToken } = await t.session('owner');
    const bySession = await call(
      t,
      'POST',
      SERVERS,
      { cookie, 'x-csrf-token': csrfToken },
      stdio('local'),
    );
    assert.equal(bySession.status, 403);
    assert.equal(await t.store.servers.find('acme', 'local'), undefined);
    assert.equal(
      (await t.store.servers.find('acme', 'github'))?.url,
      'https://github.example.com/mcp',
    );
  });

  it('hides other workspaces and unknown servers behind 404', async () => {
    const foreign = await call(
      t,
      'POST',
      '/api/v1/workspaces/other/servers',
      t.bearer('owner'),
      http('x'),
    );
    assert.equal(foreign.status, 404);
    assert.equal(foreign.json().error, 'workspace_not_found');
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', http('ghost')],
      ['DELETE', undefined],
    ] as const) {
      const response = await call(t, method, `${SERVERS}/ghost`, t.bearer('owner'), body);
      assert.equal(response.status, 404, method);
      assert.equal(response.json().error, 'server_not_found');
    }
    assert.equal(await t.store.servers.find('acme', 'ghost'), undefined);
  });

  it("hides servers outside a key's reach from its writes as from its reads", async () => {
    const scoped = await call(t, 'POST', '/api/v1/workspaces/acme/api-keys', t.bearer('owner'), {
      name: 'github-only',
      servers: ['github'],
    });
    const bearer = { authorization: `Bearer ${scoped.json().key}` };
    const before = await t.store.servers.find('acme', 'linear');
    assert.ok(before);
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', http('linear')],
      ['DELETE', undefined],
    ] as const) {
      const response = await call(t, method, `${SERVERS}/linear`, bearer, body);
      assert.equal(response.status, 404, method);
      assert.equal(response.json().error, 'server_not_found');
    }
    assert.deepEqual(await t.store.servers.find('acme', 'linear'), before);
  });

  it('refuses a PUT whose body names another server, changing nothing', async () => {
    const response = await call(t, 'PUT', `${SERVERS}/github`, t.bearer('owner'), http('linear'));
    assert.equal(response.status, 400);
    assert.match(response.json().message, /body\.id:/);
    assert.equal(
      (await t.store.servers.find('acme', 'linear'))?.url,
      'https://linear.example.com/mcp',
    );
  });

  it('answers 409 conflict for an existing id, keeping the stored definition', async () => {
    const changes = t.credentialsChanged();
    const response = await call(t, 'POST', SERVERS, t.bearer('owner'), {
      ...http('github'),
      url: 'https://evil.example.com/mcp',
    });
    assert.equal(response.status, 409);
    assert.equal(response.json().error, 'conflict');
    assert.equal(
      (await t.store.servers.find('acme', 'github'))?.url,
      'https://github.example.com/mcp',
    );
    assert.equal(t.credentialsChanged(), changes);
  });

  it('shows a server to members who may reach it, never its environment values', async () => {
    const shown = await call(t, 'GET', `${SERVERS}/github`, t.bearer('member'));
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.json(), {
      id: 'github',
      name: 'github',
      transport: 'http',
      endpoint: 'https://gateway.example.com/acme/github/mcp',
      url: 'https://github.example.com/mcp',
      command: null,
      args: [],
      cwd: null,
      env_names: ['TOKEN'],
      timeout_ms: 1000,
      capture: { mode: 'metadata', masks: [] },
      upstream_auth: { mode: 'none', header_names: [], forward_identity: false },
    });
    assert.doesNotMatch(JSON.stringify(shown.json()), /secret-value/);
    const unreachable = await call(t, 'GET', `${SERVERS}/linear`, t.bearer('member'));
    assert.equal(unreachable.status, 404);
  });

  it('creates, replaces and removes an http server, reloading credentials each time', async () => {
    const changes = t.credentialsChanged();
    const created = await call(
      t,
      'POST',
      SERVERS,
      t.bearer('admin'),
      http('notes', { name: 'Notes' }),
    );
    assert.equal(created.status, 201);
    assert.equal(created.json().endpoint, 'https://gateway.example.com/acme/notes/mcp');
    assert.equal(created.json().name, 'Notes');
    assert.equal(created.json().timeout_ms, 60_000, 'the runtime default timeout');
    assert.equal(t.credentialsChanged(), changes + 1);

    const replaced = await call(t, 'PUT', `${SERVERS}/notes`, t.bearer('owner'), {
      id: 'notes',
      transport: 'sse',
      url: 'https://notes.example.com/sse',
      timeout_ms: 5000,
    });
    assert.equal(replaced.status, 200);
    const stored = await t.store.servers.find('acme', 'notes');
    assert.equal(stored?.transport, 'sse');
    assert.equal(stored?.name, 'notes', 'a replace drops the old name');
    assert.equal(stored?.timeoutMs, 5000);
    assert.equal(t.credentialsChanged(), changes + 2);

    const removed = await call(t, 'DELETE', `${SERVERS}/notes`, t.bearer('owner'));
    assert.equal(removed.status, 204);
    assert.equal(await t.store.servers.find('acme', 'notes'), undefined);
    assert.equal(t.credentialsChanged(), changes + 3);
  });

  it('lets an instance administrator register a stdio server, storing its env sealed', async () => {
    const created = await call(t, 'POST', SERVERS, root, stdio('local'));
    assert.equal(created.status, 201);
    const stored = await t.store.servers.find('acme', 'local');
    assert.equal(stored?.command, '/usr/bin/env');
    assert.deepEqual(stored?.args, ['node', 'server.js']);
    assert.equal(stored?.cwd, '/srv/mcp');
    assert.deepEqual(Object.keys(stored?.env ?? {}), ['LOG_LEVEL']);
    assert.notEqual(stored?.env.LOG_LEVEL, 'debug');
    assert.equal(t.vault.open('server-env', stored?.env.LOG_LEVEL ?? ''), 'debug');
    assert.deepEqual(created.json().env_names, ['LOG_LEVEL']);
    // Turning it into an http server runs nothing on the host: an owner may.
    const replaced = await call(t, 'PUT', `${SERVERS}/local`, t.bearer('owner'), http('local'));
    assert.equal(replaced.status, 200);
    assert.equal((await t.store.servers.find('acme', 'local'))?.command, null);
  });

  it('does not hand a reused server id to the members, keys and invitations that named the old one', async () => {
    const created = await call(t, 'POST', SERVERS, t.bearer('owner'), http('wiki'));
    assert.equal(created.status, 201);
    await t.store.members.upsert({
      workspaceId: 'acme',
      userId: t.users.member.id,
      role: 'member',
      serverIds: ['github', 'wiki'],
    });
    const key = await t.addApiKey('member', 'acme', ['wiki']);
    const invitation = await t.store.invitations.create({
      workspaceId: 'acme',
      email: 'new@acme.test',
      role: 'member',
      serverIds: ['wiki'],
      tokenHash: 'f'.repeat(64),
      invitedBy: t.users.owner.id,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    assert.equal((await call(t, 'DELETE', `${SERVERS}/wiki`, t.bearer('owner'))).status, 204);
    // Deleting leaves the lists alone: the id matches nothing.
    assert.deepEqual((await t.store.members.find('acme', t.users.member.id))?.serverIds, [
      'github',
      'wiki',
    ]);

    assert.equal((await call(t, 'POST', SERVERS, t.bearer('owner'), http('wiki'))).status, 201);
    assert.deepEqual((await t.store.members.find('acme', t.users.member.id))?.serverIds, [
      'github',
    ]);
    const keys = await t.store.apiKeys.list('acme');
    const memberKey = keys.find(
      (entry) => entry.serverIds?.length === 0 && entry.userId === t.users.member.id,
    );
    assert.ok(memberKey, 'the key names no server any more');
    const shown = await call(t, 'GET', `${SERVERS}/wiki`, { authorization: `Bearer ${key}` });
    assert.equal(shown.status, 404);
    assert.notEqual((await t.store.invitations.find(invitation.id))?.revokedAt, null);
  });
});

describe('servers routes: upstream_auth', () => {
  let t: AdminTestApp;
  before(async () => {
    t = await startAdminTestApp();
  });
  after(() => t.close());
  const withAuth = (id: string, upstreamAuth: unknown) => http(id, { upstream_auth: upstreamAuth });
  const bearer = { Authorization: { value: 'Bearer upstream-secret' } };

  it('refuses bad upstream_auth with 400 naming the field, changing nothing', async () => {
    const before = (await t.store.servers.list('acme')).length;
    for (const [upstreamAuth, field] of [
      [{ mode: 'oauth_user' }, 'body.upstream_auth.mode'],
      [{ mode: 'headers', headers: { 'Bad Name': { value: 'x' } } }, 'body.upstream_auth.headers'],
      [{ mode: 'headers', headers: { Host: { value: 'x' } } }, 'body.upstream_auth.headers.Host'],
      [
        { mode: 'headers', headers: { 'X-Key': { value_env: 'K' } } },
        'body.upstream_auth.headers.X-Key',
      ],
      [
        { mode: 'headers', headers: { 'X-Key': { value: 'a\r\nb' } } },
        'body.upstream_auth.headers.X-Key.value',
      ],
      [{ mode: 'headers', headers: {} }, 'body.upstream_auth.headers'],
    ] as const) {
      const response = await call(
        t,
        'POST',
        SERVERS,
        t.bearer('owner'),
        withAuth('auth', upstreamAuth),
      );
      assert.equal(response.status, 400, JSON.stringify(upstreamAuth));
      assert.match(response.json().message, new RegExp(`${field.replaceAll('.', '\\.')}[.:]`));
    }
    const stdioBody = { ...stdio('local'), upstream_auth: { forward_identity: true } };
    const { cookie, csrfToken } = await t.session('root');
    const refused = await call(
      t,
      'POST',
      SERVERS,
      { cookie, 'x-csrf-token': csrfToken },
      stdioBody,
    );
    assert.equal(refused.status, 400);
    assert.match(refused.json().message, /stdio servers get credentials through env/);
    assert.equal((await t.store.servers.list('acme')).length, before);
  });

  it('stores header values sealed and shows only header names and mode', async () => {
    const created = await call(
      t,
      'POST',
      SERVERS,
      t.bearer('owner'),
      withAuth('sealed', { mode: 'headers', headers: bearer, forward_identity: true }),
    );
    assert.equal(created.status, 201);
    assert.deepEqual(created.json().upstream_auth, {
      mode: 'headers',
      header_names: ['Authorization'],
      forward_identity: true,
    });
    assert.doesNotMatch(JSON.stringify(created.json()), /upstream-secret/);
    const stored = await t.store.servers.find('acme', 'sealed');
    assert.equal(stored?.upstreamAuth.mode, 'headers');
    const sealed = stored.upstreamAuth.mode === 'headers' ? stored.upstreamAuth.headers : {};
    assert.doesNotMatch(sealed.Authorization ?? '', /upstream-secret/);
    assert.equal(
      t.vault.open('server-header', sealed.Authorization ?? ''),
      'Bearer upstream-secret',
    );
    const shown = await call(t, 'GET', `${SERVERS}/sealed`, t.bearer('owner'));
    assert.doesNotMatch(JSON.stringify(shown.json()), /upstream-secret/);
    assert.deepEqual(shown.json().upstream_auth.header_names, ['Authorization']);
  });

  it('replacing keeps an unchanged sealed value, re-seals a changed one, and none clears it', async () => {
    await call(
      t,
      'POST',
      SERVERS,
      t.bearer('owner'),
      withAuth('swap', { mode: 'headers', headers: bearer }),
    );
    const sealedOf = async () => {
      const auth = (await t.store.servers.find('acme', 'swap'))?.upstreamAuth;
      return auth?.mode === 'headers' ? auth.headers.Authorization : undefined;
    };
    const first = await sealedOf();
    const same = await call(
      t,
      'PUT',
      `${SERVERS}/swap`,
      t.bearer('owner'),
      withAuth('swap', { mode: 'headers', headers: bearer }),
    );
    assert.equal(same.status, 200);
    assert.equal(await sealedOf(), first);
    await call(
      t,
      'PUT',
      `${SERVERS}/swap`,
      t.bearer('owner'),
      withAuth('swap', { mode: 'headers', headers: { Authorization: { value: 'Bearer other' } } }),
    );
    const changed = await sealedOf();
    assert.notEqual(changed, first);
    assert.equal(t.vault.open('server-header', changed ?? ''), 'Bearer other');
    const cleared = await call(t, 'PUT', `${SERVERS}/swap`, t.bearer('owner'), http('swap'));
    assert.deepEqual(cleared.json().upstream_auth, {
      mode: 'none',
      header_names: [],
      forward_identity: false,
    });
  });
});

describe('servers routes: keeping stored secrets on PUT', () => {
  let t: AdminTestApp;
  let root: Record<string, string>;
  const KEEP = { stored: true } as const;
  const headersOf = async (id: string) => {
    const auth = (await t.store.servers.find('acme', id))?.upstreamAuth;
    return auth?.mode === 'headers' ? auth.headers : {};
  };
  const oauth = (extra: object = {}) => ({
    mode: 'oauth',
    oauth: { grant: 'shared', client_id: 'client-1', client_secret: 'client-secret-1', ...extra },
  });

  before(async () => {
    t = await startAdminTestApp();
    const { cookie, csrfToken } = await t.session('root');
    root = { cookie, 'x-csrf-token': csrfToken };
    const created = [
      await call(
        t,
        'POST',
        SERVERS,
        t.bearer('owner'),
        http('keyed', {
          upstream_auth: {
            mode: 'headers',
            headers: {
              Authorization: { value: 'Bearer kept-one' },
              'X-Team': { value: 'team-blue' },
            },
          },
        }),
      ),
      await call(t, 'POST', SERVERS, t.bearer('owner'), http('client', { upstream_auth: oauth() })),
      await call(
        t,
        'POST',
        SERVERS,
        root,
        stdio('local', { env: { API_TOKEN: 'env-secret-1', MODE: 'fast' } }),
      ),
    ];
    assert.deepEqual(
      created.map((response) => response.status),
      [201, 201, 201],
    );
  });
  after(() => t.close());

  it('refuses a keep-marker with nothing to keep, or bound to another host or client, naming the field and changing nothing', async () => {
    const snapshot = async () =>
      JSON.stringify(
        await Promise.all(
          ['keyed', 'client', 'local'].map((id) => t.store.servers.find('acme', id)),
        ),
      );
    const before = await snapshot();
    const changes = t.credentialsChanged();
    const headers = (entries: object) => ({ upstream_auth: { mode: 'headers', headers: entries } });
    for (const [method, id, body, field, message] of [
      [
        'POST',
        '',
        http('fresh', headers({ Authorization: KEEP })),
        'body.upstream_auth.headers.Authorization',
        /a new server has no stored value/,
      ],
      [
        'PUT',
        'keyed',
        http('keyed', headers({ Authorization: KEEP, 'X-Other': KEEP })),
        'body.upstream_auth.headers.X-Other',
        /server "keyed" has no stored value for header X-Other/,
      ],
      [
        'PUT',
        'keyed',
        {
          ...http('keyed', headers({ Authorization: KEEP })),
          url: 'https://elsewhere.example.net/mcp',
        },
        'body.upstream_auth.headers.Authorization',
        /given for https:\/\/keyed\.example\.com; it does not follow the server to https:\/\/elsewhere\.example\.net/,
      ],
      [
        'PUT',
        'keyed',
        { ...http('keyed', headers({ Authorization: KEEP })), url: 'http://keyed.example.com/mcp' },
        'body.upstream_auth.headers.Authorization',
        /does not follow the server/,
      ],
      [
        'PUT',
        'keyed',
        http('keyed', { upstream_auth: oauth({ client_secret: KEEP }) }),
        'body.upstream_auth.oauth.client_secret',
        /server "keyed" has no stored client secret/,
      ],
      [
        'PUT',
        'client',
        http('client', { upstream_auth: oauth({ client_id: 'client-2', client_secret: KEEP }) }),
        'body.upstream_auth.oauth.client_secret',
        /belongs to client "client-1"; send the secret of client "client-2"/,
      ],
      [
        'PUT',
        'client',
        {
          ...http('client', { upstream_auth: oauth({ client_secret: KEEP }) }),
          url: 'https://other.example.com/mcp',
        },
        'body.upstream_auth.oauth.client_secret',
        /does not follow the server/,
      ],
      [
        'PUT',
        'local',
        stdio('local', { env: { API_TOKEN: KEEP, GONE: KEEP } }),
        'body.env.GONE',
        /server "local" has no stored value for variable GONE/,
      ],
      [
        'PUT',
        'keyed',
        http('keyed', headers({ Authorization: { stored: false } })),
        'body.upstream_auth.headers.Authorization',
        /or \{ "stored": true \}/,
      ],
      [
        'PUT',
        'keyed',
        http('keyed', headers({ Authorization: { stored: true, value: 'x' } })),
        'body.upstream_auth.headers.Authorization',
        /or \{ "stored": true \}/,
      ],
      ['PUT', 'keyed', { ...http('keyed'), url: KEEP }, 'body.url', /expected string/],
      ['PUT', 'keyed', { ...http('keyed'), name: KEEP }, 'body.name', /expected string/],
    ] as const) {
      const response = await call(
        t,
        method,
        method === 'POST' ? SERVERS : `${SERVERS}/${id}`,
        root,
        body,
      );
      assert.equal(response.status, 400, `${field} ${JSON.stringify(body)}`);
      assert.equal(response.json().error, 'bad_request');
      // The message lists `path: problem` per refused field.
      const text = response.json<{ message: string }>().message;
      assert.match(text, new RegExp(`${field.replaceAll('.', '\\.')}: `));
      assert.match(text, message);
    }
    assert.equal(await snapshot(), before);
    assert.equal(await t.store.servers.find('acme', 'fresh'), undefined);
    assert.equal(t.credentialsChanged(), changes);
  });

  it('keeps stored header values as sealed, replaces a given one and removes a left-out one', async () => {
    const first = await headersOf('keyed');
    const kept = await call(
      t,
      'PUT',
      `${SERVERS}/keyed`,
      t.bearer('admin'),
      http('keyed', {
        timeout_ms: 4321,
        upstream_auth: { mode: 'headers', headers: { Authorization: KEEP, 'X-Team': KEEP } },
      }),
    );
    assert.equal(kept.status, 200);
    assert.equal(kept.json().timeout_ms, 4321);
    assert.deepEqual(kept.json().upstream_auth.header_names, ['Authorization', 'X-Team']);
    assert.deepEqual(await headersOf('keyed'), first, 'the same sealed values, untouched');

    // Same origin, another path; a header spelled in another case is the same header.
    const replaced = await call(t, 'PUT', `${SERVERS}/keyed`, t.bearer('admin'), {
      ...http('keyed'),
      url: 'https://keyed.example.com/v2/mcp',
      upstream_auth: {
        mode: 'headers',
        headers: { authorization: KEEP, 'X-Team': { value: 'team-red' } },
      },
    });
    assert.equal(replaced.status, 200);
    const second = await headersOf('keyed');
    assert.deepEqual(Object.keys(second), ['authorization', 'X-Team']);
    assert.equal(second.authorization, first.Authorization);
    assert.equal(t.vault.open('server-header', second['X-Team'] ?? ''), 'team-red');

    const removed = await call(
      t,
      'PUT',
      `${SERVERS}/keyed`,
      t.bearer('admin'),
      http('keyed', { upstream_auth: { mode: 'headers', headers: { authorization: KEEP } } }),
    );
    assert.equal(removed.status, 200);
    assert.deepEqual(await headersOf('keyed'), { authorization: first.Authorization });
    assert.equal(
      t.vault.open('server-header', first.Authorization ?? ''),
      'Bearer kept-one',
      'the kept value is still the one first given',
    );
  });

  it('keeps the OAuth client secret for the same client id, and replaces it when given', async () => {
    const secretOf = async () => {
      const auth = (await t.store.servers.find('acme', 'client'))?.upstreamAuth;
      return auth?.mode === 'oauth' ? auth.oauth.clientSecret : undefined;
    };
    const first = await secretOf();
    const kept = await call(
      t,
      'PUT',
      `${SERVERS}/client`,
      t.bearer('owner'),
      http('client', { upstream_auth: oauth({ client_secret: KEEP, scopes: ['read'] }) }),
    );
    assert.equal(kept.status, 200);
    assert.equal(kept.json().upstream_auth.oauth.has_client_secret, true);
    assert.deepEqual(kept.json().upstream_auth.oauth.scopes, ['read']);
    assert.equal(await secretOf(), first);
    const replaced = await call(
      t,
      'PUT',
      `${SERVERS}/client`,
      t.bearer('owner'),
      http('client', { upstream_auth: oauth({ client_secret: 'client-secret-2' }) }),
    );
    assert.equal(replaced.status, 200);
    assert.equal(
      t.vault.open('upstream-client-secret', (await secretOf()) ?? ''),
      'client-secret-2',
    );
    const dropped = await call(
      t,
      'PUT',
      `${SERVERS}/client`,
      t.bearer('owner'),
      http('client', { upstream_auth: { mode: 'oauth', oauth: { grant: 'shared' } } }),
    );
    assert.equal(dropped.json().upstream_auth.oauth.has_client_secret, false);
    assert.equal(await secretOf(), null);
  });

  it('keeps stored environment values of a stdio server, replacing or removing them by entry', async () => {
    const first = (await t.store.servers.find('acme', 'local'))?.env ?? {};
    const kept = await call(
      t,
      'PUT',
      `${SERVERS}/local`,
      root,
      stdio('local', { args: ['node', 'v2.js'], env: { API_TOKEN: KEEP, MODE: 'fast' } }),
    );
    assert.equal(kept.status, 200);
    const second = (await t.store.servers.find('acme', 'local'))?.env ?? {};
    assert.deepEqual(second, first, 'kept and unchanged values keep their sealed form');
    const changed = await call(
      t,
      'PUT',
      `${SERVERS}/local`,
      root,
      stdio('local', { env: { API_TOKEN: KEEP, MODE: 'slow' } }),
    );
    assert.equal(changed.status, 200);
    const third = (await t.store.servers.find('acme', 'local'))?.env ?? {};
    assert.equal(third.API_TOKEN, first.API_TOKEN);
    assert.equal(t.vault.open('server-env', third.MODE ?? ''), 'slow');
    await call(t, 'PUT', `${SERVERS}/local`, root, stdio('local', { env: { API_TOKEN: KEEP } }));
    const fourth = (await t.store.servers.find('acme', 'local'))?.env ?? {};
    assert.deepEqual(Object.keys(fourth), ['API_TOKEN']);
    assert.equal(t.vault.open('server-env', fourth.API_TOKEN ?? ''), 'env-secret-1');
  });

  it('records an edit that kept its secrets in the audit log without any secret value', async () => {
    const edited = await call(
      t,
      'PUT',
      `${SERVERS}/keyed`,
      t.bearer('owner'),
      http('keyed', {
        timeout_ms: 2500,
        upstream_auth: {
          mode: 'headers',
          headers: { authorization: KEEP, 'X-Added': { value: 'added-secret' } },
        },
      }),
    );
    assert.equal(edited.status, 200);
    const [entry] = await t.store.auditLog.list({
      workspaceId: 'acme',
      targetType: 'server',
      targetId: 'keyed',
      limit: 1,
    });
    assert.equal(entry?.action, 'server.update');
    const recorded = JSON.stringify([entry?.before, entry?.after]);
    for (const secret of [
      'kept-one',
      'added-secret',
      'team-red',
      ...Object.values(await headersOf('keyed')),
    ])
      assert.ok(!recorded.includes(secret), `the audit entry holds ${secret}`);
    const after = entry?.after as { timeoutMs: number; upstreamAuth: { headers: object } };
    assert.equal(after.timeoutMs, 2500);
    assert.deepEqual(after.upstreamAuth.headers, {
      authorization: '[secret]',
      'X-Added': '[secret]',
    });
  });
});
