/**
 * The admin API's authorization matrix on a whole gateway: every route of
 * the OpenAPI document, called as every kind of caller, against the
 * expectation written below from `src/admin/roles.ts` and docs/dashboard.md.
 * A refused write changes nothing (the workspace is re-read through the
 * API), and ids of another workspace's objects used in acme's paths answer
 * 404 and change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { createCookieJar, findForm } from '../support/cookie-jar.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';
import {
  authorizeInBrowser,
  discoverAuthorizationServer,
  pkcePair,
} from '../support/oauth-client.ts';

const PASSWORD = 'a long enough password for the matrix';
const CALLERS = [
  'owner',
  'admin',
  'member',
  'viewer',
  'betaOwner',
  'root',
  'nobody',
  'ownerKey',
  'viewerKey',
] as const;
type Caller = (typeof CALLERS)[number];
const EMAIL: Record<Exclude<Caller, 'ownerKey' | 'viewerKey'>, string> = {
  owner: 'owner@acme.test',
  admin: 'admin2@acme.test',
  member: 'member@acme.test',
  viewer: 'viewer@acme.test',
  betaOwner: 'owner@beta.test',
  root: 'root@gateway.test',
  nobody: 'nobody@gateway.test',
};

// Callers by the roles they hold in acme (keys act as their user, never as instance admins).
const EVERYONE: readonly Caller[] = CALLERS;
const VIEWER_UP: readonly Caller[] = [
  'owner',
  'admin',
  'member',
  'viewer',
  'root',
  'ownerKey',
  'viewerKey',
];
const ADMIN_UP: readonly Caller[] = ['owner', 'admin', 'root', 'ownerKey'];
const ROOT: readonly Caller[] = ['root'];
/** Member secrets belong to a membership that uses servers: not viewers, not non-member admins. */
const SECRET_HOLDERS: readonly Caller[] = ['owner', 'admin', 'member', 'ownerKey'];

interface Call {
  path: string;
  body?: unknown;
}
interface Row {
  op: string;
  /** Who gets past authorization (any answer but 401, 403 and a workspace 404). */
  allowed: readonly Caller[];
  /** Builds the call; runs before each caller, as the acme owner, for routes that consume a target. */
  call: (caller: Caller) => Promise<Call> | Call;
  /** Instance routes refuse with 403 everyone; workspace routes hide acme (404) from outsiders. */
  scope: 'instance' | 'workspace' | 'self';
  /** The error members without the role get instead of forbidden, where the route hides the target. */
  refusedMembersSee?: string;
  /** Errors an allowed caller gets for reasons other than authorization (the target's state). */
  allowedAnswers?: readonly string[];
}

interface Answer {
  status: number;
  json: { error?: string } & Record<string, unknown>;
}

describe('admin API authorization matrix', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  const sessions = new Map<Caller, { cookie: string; csrf: string }>();
  const keys = new Map<Caller, string>();
  const ids: Record<string, string> = {};
  let counter = 0;
  const unique = (prefix: string) => `${prefix}-${++counter}`;

  async function as(caller: Caller, method: string, path: string, body?: unknown): Promise<Answer> {
    const key = keys.get(caller);
    const session = sessions.get(caller);
    const headers: Record<string, string> =
      key !== undefined
        ? { authorization: `Bearer ${key}` }
        : { cookie: session!.cookie, 'x-csrf-token': session!.csrf };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = await fetch(`${gateway.url}/api/v1${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await answer.text();
    // Exports answer NDJSON or CSV: kept as text.
    const json = (): Answer['json'] => {
      try {
        return text === '' ? {} : (JSON.parse(text) as Answer['json']);
      } catch {
        return { text };
      }
    };
    return { status: answer.status, json: json() };
  }

  async function ok(caller: Caller, method: string, path: string, body?: unknown) {
    const answer = await as(caller, method, path, body);
    assert.ok(
      answer.status < 300,
      `${method} ${path}: ${answer.status} ${JSON.stringify(answer.json)}`,
    );
    return answer.json as Record<string, unknown>;
  }

  async function signIn(email: string) {
    const jar = createCookieJar();
    const page = await jar.get(`${gateway.url}/login`);
    const form = findForm(page.body, '/login');
    const answer = await jar.post(`${gateway.url}/login`, {
      ...form.fields,
      email,
      password: PASSWORD,
    });
    assert.equal(answer.status, 303, answer.body);
    const cookie = [...jar.cookiesFor(gateway.url)].map(([n, v]) => `${n}=${v}`).join('; ');
    const me = (await (
      await fetch(`${gateway.url}/api/v1/me`, { headers: { cookie } })
    ).json()) as {
      csrfToken: string;
      user: { id: string };
    };
    return { cookie, csrf: me.csrfToken };
  }

  /** What a refused write could have touched, read back through the API by the acme owner. */
  async function snapshot(workspace = 'acme'): Promise<string> {
    const reader: Caller = workspace === 'acme' ? 'owner' : 'betaOwner';
    const parts = await Promise.all(
      [
        `/workspaces/${workspace}`,
        `/workspaces/${workspace}/servers`,
        `/workspaces/${workspace}/servers/alpha`,
        `/workspaces/${workspace}/members`,
        `/workspaces/${workspace}/invitations`,
        `/workspaces/${workspace}/api-keys`,
        `/workspaces/${workspace}/usage-limits`,
        `/workspaces/${workspace}/servers/alpha/policy`,
      ].map((path) => as(reader, 'GET', path)),
    );
    const users = await as('root', 'GET', '/users');
    const workspaces = await as('root', 'GET', '/workspaces');
    return JSON.stringify([...parts.map((part) => part.json), users.json, workspaces.json]);
  }

  const w = (rest = '') => `/workspaces/acme${rest}`;
  const server = (rest = '') => w(`/servers/alpha${rest}`);
  const httpServer = (id: string) => ({ id, name: id, transport: 'http', url: upstream.url });
  const limitRule = { method: 'tools/call', period: 'day', limit: 1000 };

  /** One line per route: the roles allowed, from roles.ts and docs/dashboard.md ("Views"). */
  const ROWS: Row[] = [
    { op: 'getMe', scope: 'self', allowed: EVERYONE, call: () => ({ path: '/me' }) },
    {
      op: 'getMeAuthorizedApps',
      scope: 'self',
      allowed: EVERYONE,
      call: () => ({ path: '/me/authorized-apps' }),
    },
    {
      op: 'getMeConnections',
      scope: 'self',
      allowed: EVERYONE,
      call: () => ({ path: '/me/connections' }),
    },
    {
      op: 'getWorkspaces',
      scope: 'self',
      allowed: EVERYONE,
      call: () => ({ path: '/workspaces' }),
    },
    {
      op: 'getWorkspacesWorkspaceIdAuthorizedApps',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: w('/authorized-apps') }),
    },
    { op: 'getUsers', scope: 'instance', allowed: ROOT, call: () => ({ path: '/users' }) },
    {
      op: 'postUsers',
      scope: 'instance',
      allowed: ROOT,
      call: () => ({ path: '/users', body: { email: `${unique('user')}@acme.test` } }),
    },
    // A user reads and renames themself; instance administrators anybody (users-routes.ts).
    {
      op: 'getUsersUserId',
      scope: 'instance',
      allowed: ['member', 'root'],
      call: () => ({ path: `/users/${ids.member}` }),
    },
    {
      op: 'patchUsersUserId',
      scope: 'instance',
      allowed: ['member', 'root'],
      call: () => ({ path: `/users/${ids.member}`, body: { name: 'Member' } }),
    },
    {
      op: 'deleteUsersUserId',
      scope: 'instance',
      allowed: ROOT,
      call: async () => {
        const user = await ok('root', 'POST', '/users', { email: `${unique('doomed')}@acme.test` });
        return { path: `/users/${String(user.id)}` };
      },
    },
    {
      op: 'postWorkspaces',
      scope: 'instance',
      allowed: ROOT,
      call: () => ({ path: '/workspaces', body: { id: unique('ws'), name: 'scratch' } }),
    },
    {
      op: 'getWorkspacesWorkspaceId',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w() }),
    },
    {
      op: 'patchWorkspacesWorkspaceId',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: w(), body: { name: 'acme' } }),
    },
    {
      op: 'getWorkspacesWorkspaceIdServers',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w('/servers') }),
    },
    {
      op: 'postWorkspacesWorkspaceIdServers',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: w('/servers'), body: httpServer(unique('srv')) }),
    },
    {
      op: 'getWorkspacesWorkspaceIdServersServerId',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: server() }),
    },
    {
      op: 'putWorkspacesWorkspaceIdServersServerId',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: server(), body: httpServer('alpha') }),
    },
    {
      op: 'deleteWorkspacesWorkspaceIdServersServerId',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: async () => {
        const id = unique('gone');
        await ok('owner', 'POST', w('/servers'), httpServer(id));
        return { path: w(`/servers/${id}`) };
      },
    },
    {
      op: 'getWorkspacesWorkspaceIdServersServerIdStatus',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: server('/status') }),
    },
    {
      op: 'postWorkspacesWorkspaceIdServersTest',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: w('/servers/test'), body: httpServer('probe') }),
    },
    {
      op: 'getWorkspacesWorkspaceIdServersServerIdCapabilities',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: server('/capabilities') }),
    },
    {
      op: 'getWorkspacesWorkspaceIdServersServerIdMemberSecrets',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: server('/member-secrets') }),
    },
    {
      op: 'putWorkspacesWorkspaceIdServersServerIdMemberSecrets',
      scope: 'workspace',
      allowedAnswers: ['bad_request'], // alpha takes no member secrets

      allowed: SECRET_HOLDERS,
      call: () => ({ path: server('/member-secrets'), body: { TOKEN: 'value' } }),
    },
    {
      op: 'deleteWorkspacesWorkspaceIdServersServerIdMemberSecretsName',
      scope: 'workspace',
      allowedAnswers: ['not_found'], // nobody set one

      allowed: SECRET_HOLDERS,
      call: () => ({ path: server('/member-secrets/TOKEN') }),
    },
    {
      op: 'getWorkspacesWorkspaceIdMembers',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w('/members') }),
    },
    {
      op: 'putWorkspacesWorkspaceIdMembersUserId',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: w(`/members/${ids.member}`), body: { role: 'member', servers: null } }),
    },
    {
      op: 'deleteWorkspacesWorkspaceIdMembersUserId',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: async () => {
        const user = await ok('root', 'POST', '/users', { email: `${unique('leaver')}@acme.test` });
        await ok('owner', 'PUT', w(`/members/${String(user.id)}`), {
          role: 'member',
          servers: null,
        });
        return { path: w(`/members/${String(user.id)}`) };
      },
    },
    {
      op: 'getWorkspacesWorkspaceIdInvitations',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: w('/invitations') }),
    },
    {
      op: 'postWorkspacesWorkspaceIdInvitations',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({
        path: w('/invitations'),
        body: { email: `${unique('guest')}@acme.test`, role: 'member' },
      }),
    },
    {
      op: 'deleteWorkspacesWorkspaceIdInvitationsInvitationId',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: async () => {
        const invitation = await ok('owner', 'POST', w('/invitations'), {
          email: `${unique('inv')}@acme.test`,
          role: 'member',
        });
        return { path: w(`/invitations/${String(invitation.id)}`) };
      },
    },
    // Every role manages its own keys; admins and owners everyone's (roles.ts api_key.manage).
    {
      op: 'getWorkspacesWorkspaceIdApiKeys',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w('/api-keys') }),
    },
    {
      op: 'postWorkspacesWorkspaceIdApiKeys',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w('/api-keys'), body: { name: unique('key') } }),
    },
    {
      op: 'deleteWorkspacesWorkspaceIdApiKeysApiKeyId',
      scope: 'workspace',
      allowed: ADMIN_UP,
      // api-keys-routes.ts: "Members cannot tell others' keys from unknown ones."
      refusedMembersSee: 'not_found',
      call: async () => {
        const key = await ok('owner', 'POST', w('/api-keys'), { name: unique('theirs') });
        return { path: w(`/api-keys/${String(key.id)}`) };
      },
    },
    {
      op: 'getWorkspacesWorkspaceIdRecords',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w('/records') }),
    },
    {
      op: 'getWorkspacesWorkspaceIdRecordsExport',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w('/records/export') }),
    },
    {
      op: 'getWorkspacesWorkspaceIdRecordsRecordId',
      scope: 'workspace',
      allowedAnswers: ['not_found'], // an unknown record
      allowed: VIEWER_UP,
      call: () => ({ path: w('/records/no-such-record') }),
    },
    ...['requests', 'latency', 'top-tools', 'top-members', 'errors', 'health'].map((name): Row => ({
      op: `getWorkspacesWorkspaceIdAnalytics${name.replace(/(^|-)(\w)/g, (_, _dash, c: string) => c.toUpperCase())}`,
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w(`/analytics/${name}`) }),
    })),
    // docs/dashboard.md: "Audit | managers"; the whole log is instance administrators' (audit-routes.ts).
    {
      op: 'getAudit',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: '/audit?workspace=acme' }),
    },
    { op: 'getAudit', scope: 'instance', allowed: ROOT, call: () => ({ path: '/audit' }) },
    {
      op: 'getWorkspacesWorkspaceIdUsage',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w('/usage') }),
    },
    {
      op: 'getWorkspacesWorkspaceIdUsageLimitsNameUsage',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w('/usage-limits/daily/usage') }),
    },
    {
      op: 'getWorkspacesWorkspaceIdUsageLimits',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w('/usage-limits') }),
    },
    {
      op: 'getWorkspacesWorkspaceIdUsageLimitsName',
      scope: 'workspace',
      allowed: VIEWER_UP,
      call: () => ({ path: w('/usage-limits/daily') }),
    },
    {
      op: 'putWorkspacesWorkspaceIdUsageLimitsName',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: w('/usage-limits/daily'), body: limitRule }),
    },
    {
      op: 'deleteWorkspacesWorkspaceIdUsageLimitsName',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: async () => {
        const name = unique('rule');
        await ok('owner', 'PUT', w(`/usage-limits/${name}`), limitRule);
        return { path: w(`/usage-limits/${name}`) };
      },
    },
    // docs/dashboard.md: "Server → Capabilities | managers" (policy, pins, approvals).
    {
      op: 'getWorkspacesWorkspaceIdServersServerIdPolicy',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: server('/policy') }),
    },
    {
      op: 'putWorkspacesWorkspaceIdServersServerIdPolicy',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: async () => {
        const current = await ok('owner', 'GET', server('/policy'));
        return { path: server('/policy'), body: current.document };
      },
    },
    {
      op: 'getWorkspacesWorkspaceIdServersServerIdPolicyHistory',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: server('/policy/history') }),
    },
    {
      op: 'getWorkspacesWorkspaceIdServersServerIdTools',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: server('/tools') }),
    },
    {
      op: 'getWorkspacesWorkspaceIdServersServerIdToolsToolDiff',
      scope: 'workspace',
      allowedAnswers: ['not_found'], // a tool the gateway has not seen
      allowed: ADMIN_UP,
      call: () => ({ path: server('/tools/test_simple_text/diff') }),
    },
    {
      op: 'postWorkspacesWorkspaceIdServersServerIdToolsToolApprove',
      scope: 'workspace',
      allowedAnswers: ['not_found'], // a tool the gateway has not seen
      allowed: ADMIN_UP,
      call: () => ({ path: server('/tools/test_simple_text/approve') }),
    },
    {
      op: 'postWorkspacesWorkspaceIdServersServerIdToolsToolQuarantine',
      scope: 'workspace',
      allowedAnswers: ['not_found'], // a tool the gateway has not seen
      allowed: ADMIN_UP,
      call: () => ({ path: server('/tools/no_such_tool/quarantine') }),
    },
    // docs/dashboard.md: "My connections | members ... managers also see the workspace's connections".
    {
      op: 'getWorkspacesWorkspaceIdConnections',
      scope: 'workspace',
      allowed: ADMIN_UP,
      call: () => ({ path: w('/connections') }),
    },
    {
      op: 'postWorkspacesWorkspaceIdServersServerIdConnection',
      scope: 'workspace',
      allowedAnswers: ['bad_request'], // alpha uses no upstream OAuth
      allowed: VIEWER_UP,
      call: () => ({ path: server('/connection') }),
    },
    {
      op: 'deleteWorkspacesWorkspaceIdServersServerIdConnection',
      scope: 'workspace',
      allowedAnswers: ['bad_request'], // alpha uses no upstream OAuth
      allowed: VIEWER_UP,
      call: () => ({ path: server('/connection') }),
    },
    // Only owners delete a workspace (roles.ts workspace.delete); run on scratch workspaces below.
    {
      op: 'deleteWorkspacesWorkspaceId',
      scope: 'workspace',
      // Keys are bound to acme, so on a scratch workspace only sessions remain.
      allowed: ['owner', 'root'],
      call: () => ({ path: w() }),
    },
    {
      op: 'deleteWorkspacesWorkspaceIdAuthorizedAppsGrantId',
      scope: 'workspace',
      allowedAnswers: ['not_found'], // an unknown grant
      allowed: ADMIN_UP,
      call: () => ({ path: w('/authorized-apps/no-such-grant') }),
    },
    {
      op: 'deleteMeAuthorizedAppsGrantId',
      scope: 'self',
      allowedAnswers: ['not_found'], // an unknown grant
      allowed: EVERYONE,
      call: () => ({ path: '/me/authorized-apps/no-such-grant' }),
    },
    // Last: a password change through a key ends the user's browser sessions.
    {
      op: 'postMePassword',
      scope: 'self',
      // Keys act as their user; admin@acme.test (the key's user) has no password to prove.
      allowed: CALLERS.filter((caller) => caller !== 'ownerKey'),
      call: () => ({
        path: '/me/password',
        body: { currentPassword: PASSWORD, newPassword: PASSWORD },
      }),
    },
  ];

  const METHOD_OF = new Map<string, string>();

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'alpha', url: upstream.url }],
      otherWorkspaces: ['beta'],
      limits: [{ name: 'daily', ...limitRule }],
      users: [
        { email: EMAIL.owner, password: PASSWORD, role: 'owner' },
        { email: EMAIL.admin, password: PASSWORD, role: 'admin' },
        { email: EMAIL.member, password: PASSWORD, role: 'member' },
        { email: EMAIL.viewer, password: PASSWORD, role: 'viewer' },
        { email: EMAIL.betaOwner, password: PASSWORD },
        { email: EMAIL.root, password: PASSWORD, admin: true },
        { email: EMAIL.nobody, password: PASSWORD },
      ],
    });
    for (const caller of Object.keys(EMAIL) as (keyof typeof EMAIL)[])
      sessions.set(caller, await signIn(EMAIL[caller]));
    for (const user of (await ok('root', 'GET', '/users')) as unknown as {
      id: string;
      email: string;
    }[])
      for (const [caller, email] of Object.entries(EMAIL))
        if (email === user.email) ids[caller] = user.id;
    // beta belongs to its own owner: acme's people leave it (the test config gives both the same members).
    await ok('root', 'PUT', `/workspaces/beta/members/${ids.betaOwner}`, {
      role: 'owner',
      servers: null,
    });
    for (const caller of ['owner', 'admin', 'member', 'viewer'] as const)
      await ok('root', 'DELETE', `/workspaces/beta/members/${ids[caller]}`);
    keys.set('ownerKey', gateway.apiKey);
    const viewerKey = await ok('viewer', 'POST', w('/api-keys'), { name: 'viewer-own' });
    keys.set('viewerKey', String(viewerKey.key));
    const doc = (await (await fetch(`${gateway.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    for (const operations of Object.values(doc.paths))
      for (const [method, operation] of Object.entries(operations))
        METHOD_OF.set(operation.operationId, method.toUpperCase());
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('has one expectation for every route of the OpenAPI document', () => {
    const covered = new Set(ROWS.map((row) => row.op));
    const missing = [...METHOD_OF.keys()].filter(
      (op) => op !== 'getOpenApiDocument' && !covered.has(op),
    );
    assert.deepEqual(missing, []);
    assert.deepEqual(
      [...covered].filter((op) => !METHOD_OF.has(op)),
      [],
    );
  });

  it('lets exactly the allowed callers through every route, and refused writes change nothing', async () => {
    const mismatches: string[] = [];
    for (const row of ROWS) {
      const method = METHOD_OF.get(row.op)!;
      for (const caller of CALLERS) {
        const allowed = row.allowed.includes(caller);
        // Deleting acme would end the matrix: its own test below uses scratch workspaces.
        if (row.op === 'deleteWorkspacesWorkspaceId') continue;
        const { path, body } = await row.call(caller);
        const before = method === 'GET' || allowed ? '' : await snapshot();
        const answer = await as(
          caller,
          method,
          path,
          body ?? (method === 'GET' || method === 'DELETE' ? undefined : {}),
        );
        const refused =
          answer.status === 401 ||
          answer.json.error === 'forbidden' ||
          answer.json.error === 'workspace_not_found' ||
          (row.refusedMembersSee !== undefined && answer.json.error === row.refusedMembersSee) ||
          (row.scope === 'instance' && answer.status === 404);
        if (
          allowed &&
          !refused &&
          answer.status >= 400 &&
          !(row.allowedAnswers ?? []).includes(String(answer.json.error))
        )
          mismatches.push(
            `${method} ${path} as ${caller}: allowed but answered ${answer.status} ${JSON.stringify(answer.json).slice(0, 160)}`,
          );
        if (allowed === refused)
          mismatches.push(
            `${method} ${path} as ${caller}: expected ${allowed ? 'allowed' : 'refused'}, got ${answer.status} ${JSON.stringify(answer.json).slice(0, 160)}`,
          );
        if (!allowed && refused && row.scope === 'workspace') {
          const outsider = caller === 'betaOwner' || caller === 'nobody';
          const expected = outsider || row.refusedMembersSee !== undefined ? 404 : 403;
          if (answer.status !== expected)
            mismatches.push(
              `${method} ${path} as ${caller}: refused with ${answer.status}, expected ${expected}`,
            );
        }
        if (before !== '' && (await snapshot()) !== before)
          mismatches.push(`${method} ${path} as ${caller}: refused, yet acme changed`);
      }
      if (row.op === 'postMePassword')
        for (const caller of Object.keys(EMAIL) as (keyof typeof EMAIL)[])
          sessions.set(caller, await signIn(EMAIL[caller]));
    }
    assert.deepEqual(mismatches, []);
  });

  /** A workspace with acme's people in their acme roles; the instance admin creates it. */
  async function scratchWorkspace(): Promise<string> {
    const id = unique('scratch');
    await ok('root', 'POST', '/workspaces', { id, name: id });
    for (const caller of ['owner', 'admin', 'member', 'viewer'] as const)
      await ok('root', 'PUT', `/workspaces/${id}/members/${ids[caller]}`, {
        role: caller,
        servers: null,
      });
    return id;
  }

  it('lets only owners and instance administrators delete a workspace', async () => {
    const row = ROWS.find((entry) => entry.op === 'deleteWorkspacesWorkspaceId')!;
    for (const deleter of row.allowed) {
      const id = await scratchWorkspace();
      for (const caller of CALLERS.filter((entry) => !row.allowed.includes(entry))) {
        const answer = await as(caller, 'DELETE', `/workspaces/${id}`);
        // Keys belong to acme: every other workspace is unknown to them.
        const hidden = caller === 'betaOwner' || caller === 'nobody' || caller.endsWith('Key');
        assert.equal(
          answer.status,
          hidden ? 404 : 403,
          `${caller}: ${JSON.stringify(answer.json)}`,
        );
        assert.equal((await as('root', 'GET', `/workspaces/${id}`)).status, 200);
      }
      assert.equal((await as(deleter, 'DELETE', `/workspaces/${id}`)).status, 204);
      assert.equal((await as('root', 'GET', `/workspaces/${id}`)).status, 404);
    }
  });

  /** beta's objects, made by its owner: a server, a key, an invitation, a rule, a record, a grant. */
  async function betaObjects() {
    await ok('betaOwner', 'POST', '/workspaces/beta/servers', httpServer('beta-only'));
    await ok('betaOwner', 'PUT', '/workspaces/beta/usage-limits/beta-rule', limitRule);
    const invitation = await ok('betaOwner', 'POST', '/workspaces/beta/invitations', {
      email: 'guest@beta.test',
      role: 'member',
    });
    const key = await ok('betaOwner', 'POST', '/workspaces/beta/api-keys', { name: 'beta' });
    const called = await mcpPost(gateway.endpoint('beta-only', 'beta'), initializeBody(), {
      authorization: `Bearer ${String(key.key)}`,
    });
    assert.equal(called.status, 200);
    let records: { id: string }[] = [];
    for (let tries = 0; records.length === 0 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      records = (await ok('betaOwner', 'GET', '/workspaces/beta/records')).records as {
        id: string;
      }[];
    }
    assert.ok(records.length > 0, 'beta has a request record');

    const server = await discoverAuthorizationServer(gateway.url);
    const registered = await server.register({
      client_name: 'authz matrix',
      redirect_uris: ['https://app.beta.test/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const pkce = pkcePair();
    const { location } = await authorizeInBrowser(
      createCookieJar(),
      server.authorizationUrl({
        response_type: 'code',
        client_id: String(registered.body.client_id),
        redirect_uri: 'https://app.beta.test/callback',
        scope: 'mcp offline_access',
        state: 'state',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
        resource: gateway.endpoint('beta-only', 'beta'),
      }),
      { email: EMAIL.betaOwner, password: PASSWORD, approve: true },
    );
    const issued = await server.token({
      grant_type: 'authorization_code',
      code: new URL(location).searchParams.get('code') ?? '',
      redirect_uri: 'https://app.beta.test/callback',
      client_id: String(registered.body.client_id),
      code_verifier: pkce.verifier,
      resource: gateway.endpoint('beta-only', 'beta'),
    });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const apps = (await ok('betaOwner', 'GET', '/workspaces/beta/authorized-apps')) as unknown as {
      grantId: string;
    }[];
    assert.equal(apps.length, 1);
    return {
      server: 'beta-only',
      key: String(key.id),
      invitation: String(invitation.id),
      record: records[0]!.id,
      grant: apps[0]!.grantId,
    };
  }

  async function betaState(): Promise<string> {
    const paths = [
      '/workspaces/beta/servers',
      '/workspaces/beta/servers/beta-only',
      '/workspaces/beta/servers/beta-only/policy',
      '/workspaces/beta/members',
      '/workspaces/beta/invitations',
      '/workspaces/beta/api-keys',
      '/workspaces/beta/usage-limits',
      '/workspaces/beta/authorized-apps',
      '/workspaces/beta/records',
    ];
    const parts = await Promise.all(paths.map((path) => as('betaOwner', 'GET', path)));
    return JSON.stringify(parts.map((part) => part.json));
  }

  it("answers 404 to beta's ids in acme's paths and changes nothing", async () => {
    const beta = await betaObjects();
    const srv = (rest = '') => w(`/servers/${beta.server}${rest}`);
    const policy = await ok('betaOwner', 'GET', '/workspaces/beta/servers/beta-only/policy');
    const calls: [string, string, unknown?][] = [
      ['GET', srv()],
      ['PUT', srv(), httpServer(beta.server)],
      ['DELETE', srv()],
      ['GET', srv('/status')],
      ['GET', srv('/capabilities')],
      ['GET', srv('/member-secrets')],
      ['PUT', srv('/member-secrets'), { TOKEN: 'value' }],
      ['DELETE', srv('/member-secrets/TOKEN')],
      ['GET', srv('/policy')],
      ['PUT', srv('/policy'), policy.document],
      ['GET', srv('/policy/history')],
      ['GET', srv('/tools')],
      ['GET', srv('/tools/test_simple_text/diff')],
      ['POST', srv('/tools/test_simple_text/approve')],
      ['POST', srv('/tools/test_simple_text/quarantine')],
      ['POST', srv('/connection'), {}],
      ['DELETE', srv('/connection')],
      ['DELETE', w(`/api-keys/${beta.key}`)],
      ['DELETE', w(`/members/${ids.betaOwner}`)],
      ['DELETE', w(`/invitations/${beta.invitation}`)],
      ['GET', w('/usage-limits/beta-rule')],
      ['GET', w('/usage-limits/beta-rule/usage')],
      ['DELETE', w('/usage-limits/beta-rule')],
      ['GET', w(`/records/${beta.record}`)],
      ['DELETE', w(`/authorized-apps/${beta.grant}`)],
    ];
    const mismatches: string[] = [];
    for (const caller of ['owner', 'ownerKey'] as const) {
      for (const [method, path, body] of calls) {
        const before = await betaState();
        const answer = await as(caller, method, path, body);
        if (answer.status !== 404)
          mismatches.push(
            `${method} ${path} as ${caller}: ${answer.status} ${JSON.stringify(answer.json).slice(0, 160)}`,
          );
        if ((await betaState()) !== before)
          mismatches.push(`${method} ${path} as ${caller}: beta changed`);
      }
      // beta's server named in acme's bodies is no server of acme's.
      for (const [method, path, body] of [
        ['POST', w('/api-keys'), { name: 'cross', servers: [beta.server] }],
        ['PUT', w(`/members/${ids.member}`), { role: 'member', servers: [beta.server] }],
        ['PUT', w('/usage-limits/cross'), { ...limitRule, server: beta.server }],
      ] as const) {
        const before = await snapshot();
        const answer = await as(caller, method, path, body);
        if (answer.status !== 400)
          mismatches.push(`${method} ${path} naming ${beta.server} as ${caller}: ${answer.status}`);
        if ((await snapshot()) !== before)
          mismatches.push(`${method} ${path} as ${caller}: acme changed`);
      }
    }
    // acme's audit log never shows beta's changes.
    const audit = await ok('owner', 'GET', '/audit?workspace=acme&limit=200');
    const foreign = (
      audit.entries as { workspaceId: string | null; target: { id: string } }[]
    ).filter(
      (entry) =>
        entry.workspaceId !== 'acme' ||
        [beta.key, beta.invitation, beta.grant].includes(entry.target.id),
    );
    assert.deepEqual(foreign, []);
    assert.deepEqual(mismatches, []);
  });

  it('keeps a key that reaches some servers away from the others, for writes as for reads', async () => {
    await ok('owner', 'POST', w('/servers'), httpServer('kept'));
    const scoped = await ok('owner', 'POST', w('/api-keys'), {
      name: 'alpha-only',
      servers: ['alpha'],
    });
    keys.set('viewerKey', String(scoped.key));
    try {
      const before = await snapshot();
      const kept = await ok('owner', 'GET', w('/servers/kept'));
      for (const [method, body] of [
        ['GET', undefined],
        ['PUT', httpServer('kept')],
        ['DELETE', undefined],
      ] as const) {
        const answer = await as('viewerKey', method, w('/servers/kept'), body);
        assert.equal(answer.status, 404, `${method}: ${JSON.stringify(answer.json)}`);
        assert.equal(answer.json.error, 'server_not_found');
      }
      assert.deepEqual(await ok('owner', 'GET', w('/servers/kept')), kept);
      // Nor does a test of a definition under its id reuse its stored secrets.
      await ok('owner', 'PUT', w('/servers/kept'), {
        ...httpServer('kept'),
        upstream_auth: { mode: 'headers', headers: { Authorization: { value: 'kept-secret' } } },
      });
      const probe = {
        ...httpServer('kept'),
        upstream_auth: { mode: 'headers', headers: { Authorization: { stored: true } } },
      };
      const probed = await as('viewerKey', 'POST', w('/servers/test'), probe);
      assert.equal(probed.status, 400, JSON.stringify(probed.json));
      assert.match(String(probed.json.message), /body\.upstream_auth\.headers\.Authorization/);
      assert.equal((await as('owner', 'POST', w('/servers/test'), probe)).status, 200);
      await ok('owner', 'PUT', w('/servers/kept'), httpServer('kept'));
      assert.deepEqual(await ok('owner', 'GET', w('/servers/kept')), kept);
      assert.equal(await snapshot(), before);
    } finally {
      keys.delete('viewerKey');
    }
  });

  it('never lets a key mint a key that outlives it', async () => {
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const expiring = await ok('owner', 'POST', w('/api-keys'), { name: 'expiring', expiresAt });
    keys.set('viewerKey', String(expiring.key));
    try {
      const before = await snapshot();
      for (const body of [
        { name: 'later', expiresAt: new Date(Date.now() + 7200_000).toISOString() },
      ]) {
        const answer = await as('viewerKey', 'POST', w('/api-keys'), body);
        assert.equal(answer.status, 400, JSON.stringify(answer.json));
        assert.match(String(answer.json.message), /body\.expiresAt/);
      }
      assert.equal(await snapshot(), before);
      // Without an expiry the new key takes the minting key's: never one that lasts for ever.
      const inherited = await ok('viewerKey', 'POST', w('/api-keys'), { name: 'inherits' });
      assert.equal(inherited.expiresAt, expiring.expiresAt);
      const sooner = new Date(Date.now() + 1800_000).toISOString();
      const shorter = await ok('viewerKey', 'POST', w('/api-keys'), {
        name: 'sooner',
        expiresAt: sooner,
      });
      assert.equal(new Date(String(shorter.expiresAt)).getTime(), new Date(sooner).getTime());
    } finally {
      keys.delete('viewerKey');
    }
  });
});
