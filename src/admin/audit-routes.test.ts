import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEntry } from '../store/model.ts';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

const AUDIT = '/api/v1/audit';

interface EntryView {
  seq: number;
  action: string;
  actor: { kind: string; id: string | null; email: string | null; apiKeyId: string | null };
  target: { type: string; id: string };
  workspaceId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: string;
  requestId: string | null;
}

describe('audit routes', () => {
  let t: AdminTestApp;
  let root: Record<string, string>;
  before(async () => {
    t = await startAdminTestApp();
    const session = await t.session('root');
    root = { cookie: session.cookie, 'x-csrf-token': session.csrfToken };
  });
  after(() => t.close());

  const newest = async (): Promise<AuditEntry> => {
    const [entry] = await t.store.auditLog.list({ limit: 1 });
    assert.ok(entry);
    return entry;
  };

  it('refuses malformed queries with 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['cursor=abc', 'query.cursor'],
      ['cursor=0', 'query.cursor'],
      ['limit=0', 'query.limit'],
      ['limit=501', 'query.limit'],
      ['action=DROP%20TABLE', 'query.action'],
      ['since=yesterday', 'query.since'],
      ['unknown=1', 'query'],
    ] as const) {
      const response = await call(t, 'GET', `${AUDIT}?${query}`, root);
      assert.equal(response.status, 400, query);
      assert.match(response.json().message, new RegExp(field.replaceAll('.', '\\.')));
    }
  });

  it('lets only instance administrators read the whole log and owners and admins their workspace', async () => {
    assert.equal((await call(t, 'GET', AUDIT, t.bearer('owner'))).status, 403);
    assert.equal((await call(t, 'GET', `${AUDIT}?workspace=acme`, t.bearer('member'))).status, 403);
    assert.equal((await call(t, 'GET', `${AUDIT}?workspace=acme`, t.bearer('viewer'))).status, 403);
    // Other workspaces look unknown, as everywhere in the API.
    assert.equal(
      (await call(t, 'GET', `${AUDIT}?workspace=acme`, t.bearer('outsider'))).status,
      404,
    );
    assert.equal((await call(t, 'GET', `${AUDIT}?workspace=acme`, t.bearer('owner'))).status, 200);
    assert.equal((await call(t, 'GET', `${AUDIT}?workspace=acme`, t.bearer('admin'))).status, 200);
    assert.equal((await call(t, 'GET', AUDIT, root)).status, 200);
  });

  it('records a server registered, changed and removed with its actor, before and after, and no secret', async () => {
    const servers = '/api/v1/workspaces/acme/servers';
    const created = await call(t, 'POST', servers, t.bearer('admin'), {
      id: 'notion',
      transport: 'http',
      url: 'https://notion.example.com/mcp',
      upstream_auth: {
        mode: 'headers',
        headers: { Authorization: { value: 'Bearer upstream-secret-1' } },
      },
    });
    assert.equal(created.status, 201);
    const create = await newest();
    assert.equal(create.action, 'server.create');
    assert.deepEqual(
      [create.targetType, create.targetId, create.workspaceId],
      ['server', 'notion', 'acme'],
    );
    assert.equal(create.actorKind, 'api_key');
    assert.equal(create.actorId, t.users.admin.id);
    assert.equal(create.actorEmail, 'admin@acme.test');
    assert.ok(create.apiKeyId);
    assert.equal(create.source, 'api');
    assert.ok(create.requestId);
    assert.equal(create.before, null);
    const after = create.after as { url: string; upstreamAuth: { headers: object } };
    assert.equal(after.url, 'https://notion.example.com/mcp');
    assert.deepEqual(after.upstreamAuth.headers, { Authorization: '[secret]' });

    const updated = await call(t, 'PUT', `${servers}/notion`, t.bearer('owner'), {
      id: 'notion',
      transport: 'http',
      url: 'https://notion.example.com/v2/mcp',
    });
    assert.equal(updated.status, 200);
    const update = await newest();
    assert.equal(update.action, 'server.update');
    assert.equal(update.actorId, t.users.owner.id);
    assert.equal((update.before as { url: string }).url, 'https://notion.example.com/mcp');
    assert.equal((update.after as { url: string }).url, 'https://notion.example.com/v2/mcp');

    assert.equal((await call(t, 'DELETE', `${servers}/notion`, t.bearer('owner'))).status, 204);
    const remove = await newest();
    assert.equal(remove.action, 'server.delete');
    assert.equal((remove.before as { id: string }).id, 'notion');
    assert.equal(remove.after, null);

    const all = JSON.stringify(await t.store.auditLog.list({ limit: 1000 }));
    assert.doesNotMatch(all, /upstream-secret-1/);
    assert.doesNotMatch(all, /pcv1\./);
  });

  it('records an API key created and revoked, never the key or its hash', async () => {
    const session = await t.session('member');
    const headers = { cookie: session.cookie, 'x-csrf-token': session.csrfToken };
    const created = await call(t, 'POST', '/api/v1/workspaces/acme/api-keys', headers, {
      name: 'audited',
    });
    assert.equal(created.status, 201);
    const { key, id } = created.json();
    const create = await newest();
    assert.equal(create.action, 'api_key.create');
    assert.equal(create.actorKind, 'user');
    assert.equal(create.actorId, t.users.member.id);
    assert.equal(create.apiKeyId, null);
    assert.equal(create.targetId, id);
    assert.equal((create.after as { keyHash: string }).keyHash, '[secret]');
    const revoked = await call(t, 'DELETE', `/api/v1/workspaces/acme/api-keys/${id}`, headers);
    assert.equal(revoked.status, 204);
    const revoke = await newest();
    assert.equal(revoke.action, 'api_key.revoke');
    assert.equal((revoke.before as { revokedAt: unknown }).revokedAt, null);
    assert.notEqual((revoke.after as { revokedAt: unknown }).revokedAt, null);
    const stored = await t.store.apiKeys.find(id);
    const all = JSON.stringify(await t.store.auditLog.list({ limit: 1000 }));
    assert.ok(!all.includes(key));
    assert.ok(!all.includes(stored!.keyHash));
  });

  it('records users, workspaces, members and invitations, with passwords masked', async () => {
    const user = await call(t, 'POST', '/api/v1/users', root, {
      email: 'dana@acme.test',
      password: 'a long enough password',
    });
    assert.equal(user.status, 201);
    const created = await newest();
    assert.equal(created.action, 'user.create');
    assert.equal(created.actorKind, 'user');
    assert.equal(created.actorId, t.users.root.id);
    assert.equal((created.after as { passwordHash: string }).passwordHash, '[secret]');

    const member = await call(
      t,
      'PUT',
      `/api/v1/workspaces/acme/members/${user.json().id}`,
      t.bearer('owner'),
      { role: 'viewer', servers: null },
    );
    assert.equal(member.status, 200);
    assert.equal((await newest()).action, 'member.create');
    await call(t, 'PUT', `/api/v1/workspaces/acme/members/${user.json().id}`, t.bearer('owner'), {
      role: 'member',
      servers: ['github'],
    });
    const changed = await newest();
    assert.equal(changed.action, 'member.update');
    assert.deepEqual(
      [(changed.before as { role: string }).role, (changed.after as { role: string }).role],
      ['viewer', 'member'],
    );

    const invitation = await call(
      t,
      'POST',
      '/api/v1/workspaces/acme/invitations',
      t.bearer('admin'),
      {
        email: 'erin@acme.test',
        role: 'member',
      },
    );
    assert.equal(invitation.status, 201);
    const invited = await newest();
    assert.equal(invited.action, 'invitation.create');
    assert.equal((invited.after as { tokenHash: string }).tokenHash, '[secret]');

    const workspace = await call(t, 'POST', '/api/v1/workspaces', root, {
      id: 'beta',
      name: 'Beta',
    });
    assert.equal(workspace.status, 201);
    const [owner, ws] = await t.store.auditLog.list({ limit: 2 });
    assert.deepEqual([ws!.action, owner!.action], ['workspace.create', 'member.create']);
    assert.equal(owner!.workspaceId, 'beta');
  });

  it('records nothing for refused requests', async () => {
    const head = await t.store.auditLog.head();
    const refused = await call(t, 'POST', '/api/v1/workspaces/acme/servers', t.bearer('member'), {
      id: 'sneaky',
      transport: 'http',
      url: 'https://sneaky.example.com/mcp',
    });
    assert.equal(refused.status, 403);
    const invalid = await call(t, 'POST', '/api/v1/workspaces/acme/servers', t.bearer('owner'), {
      id: 'x',
    });
    assert.equal(invalid.status, 400);
    assert.deepEqual(await t.store.auditLog.head(), head);
  });

  it('a workspace owner sees only their workspace; filters and the cursor page through everything once', async () => {
    const owned = await call(t, 'GET', `${AUDIT}?workspace=acme&limit=500`, t.bearer('owner'));
    const entries = owned.json().entries as EntryView[];
    assert.ok(entries.length >= 5);
    assert.ok(entries.every((entry) => entry.workspaceId === 'acme'));
    const outsider = await call(t, 'GET', `${AUDIT}?workspace=other`, t.bearer('outsider'));
    assert.deepEqual(outsider.json().entries, []);

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        t,
        'GET',
        `${AUDIT}?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
        root,
      );
      assert.equal(page.status, 200);
      const body: { entries: EntryView[]; nextCursor: string | null } = page.json();
      assert.ok(body.entries.length <= 2);
      seen.push(...body.entries.map((entry) => entry.seq));
      cursor = body.nextCursor;
    } while (cursor !== null);
    const total = (await t.store.auditLog.head()).seq;
    assert.deepEqual(
      seen,
      Array.from({ length: total }, (_, i) => total - i),
    );

    const byAction = await call(t, 'GET', `${AUDIT}?action=server.update`, root);
    assert.deepEqual(
      (byAction.json().entries as EntryView[]).map((entry) => entry.target.id),
      ['notion'],
    );
    const byActor = await call(t, 'GET', `${AUDIT}?actor=member@acme.test`, root);
    assert.ok(
      (byActor.json().entries as EntryView[]).every((e) => e.actor.id === t.users.member.id),
    );
    assert.ok((byActor.json().entries as EntryView[]).length >= 2);
    const byTarget = await call(t, 'GET', `${AUDIT}?targetType=server&targetId=notion`, root);
    assert.deepEqual(
      (byTarget.json().entries as EntryView[]).map((entry) => entry.action),
      ['server.delete', 'server.update', 'server.create'],
    );
    const future = await call(t, 'GET', `${AUDIT}?since=2999-01-01T00:00:00Z`, root);
    assert.deepEqual(future.json().entries, []);
  });
});
