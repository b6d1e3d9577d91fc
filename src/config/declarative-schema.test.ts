import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { declarativeConfigSchema } from './declarative-schema.ts';

const config = (member: Record<string, unknown>, user: Record<string, unknown> = {}) => ({
  users: [{ email: 'dev@acme.test', ...user }],
  workspaces: [
    {
      id: 'acme',
      name: 'Acme',
      members: [{ email: 'dev@acme.test', role: 'member', ...member }],
      servers: [
        { id: 'everything', transport: 'http', url: 'http://127.0.0.1:3001/mcp' },
        { id: 'memory', transport: 'stdio', command: 'npx' },
      ],
    },
  ],
});

function issuesOf(input: unknown): string[] {
  const result = declarativeConfigSchema.safeParse(input);
  assert.equal(result.success, false, 'expected the config to be invalid');
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('declarative config schema', () => {
  it('takes a member limited to servers of its workspace, and an admin user', () => {
    const parsed = declarativeConfigSchema.parse(config({ servers: ['memory'] }, { admin: true }));
    assert.deepEqual(parsed.workspaces[0]?.members[0]?.servers, ['memory']);
    assert.equal(parsed.users[0]?.admin, true);
  });

  it('leaves servers and admin absent when not given', () => {
    const parsed = declarativeConfigSchema.parse(config({}));
    assert.equal(parsed.workspaces[0]?.members[0]?.servers, undefined);
    assert.equal(parsed.users[0]?.admin, undefined);
  });

  it('refuses a member server that the workspace does not declare, by its path', () => {
    assert.deepEqual(issuesOf(config({ servers: ['everything', 'github'] })), [
      'workspaces.0.members.0.servers.1: no server "github" in workspace "acme"',
    ]);
  });

  it('refuses member servers that are not server ids', () => {
    assert.deepEqual(
      issuesOf(config({ servers: 'everything' })).map((issue) => issue.split(':')[0]),
      ['workspaces.0.members.0.servers'],
    );
    assert.match(
      issuesOf(config({ servers: ['Not An Id'] }))[0] ?? '',
      /^workspaces\.0\.members\.0\.servers\.0: must be 1–63 lowercase letters/,
    );
  });

  it('refuses an admin flag that is not a boolean', () => {
    assert.deepEqual(
      issuesOf(config({}, { admin: 'yes' })).map((issue) => issue.split(':')[0]),
      ['users.0.admin'],
    );
  });
});

describe('declarative config schema: upstream_auth', () => {
  const withServer = (server: Record<string, unknown>) => ({
    workspaces: [{ id: 'acme', name: 'Acme', servers: [server] }],
  });
  const http = (upstreamAuth: unknown) =>
    withServer({
      id: 'linear',
      transport: 'http',
      url: 'https://mcp.linear.test/mcp',
      upstream_auth: upstreamAuth,
    });
  const at = 'workspaces.0.servers.0.upstream_auth';

  it('refuses header names that are not tokens or that the gateway sets', () => {
    for (const name of ['Bad Name', 'X-Ünicode', 'Host', 'content-length', 'Mcp-Session-Id']) {
      const issues = issuesOf(http({ mode: 'headers', headers: { [name]: { value_env: 'T' } } }));
      assert.equal(issues.length, 1, name);
      assert.match(issues[0] ?? '', new RegExp(`^${at}\\.headers\\.${name}: `), name);
    }
    for (const name of ['Connection', 'Transfer-Encoding', 'MCP-Protocol-Version', 'Accept'])
      assert.match(
        issuesOf(http({ mode: 'headers', headers: { [name]: { value_env: 'T' } } }))[0] ?? '',
        /is set by the gateway and cannot be configured$/,
      );
    for (const name of ['Content-Type', 'Last-Event-ID', 'Mcp-Method', 'Mcp-Name', 'Mcp-Param-X'])
      assert.match(
        issuesOf(http({ mode: 'headers', headers: { [name]: { value_env: 'T' } } }))[0] ?? '',
        /is set by the gateway/,
      );
  });

  it('refuses the same header twice in different case', () => {
    assert.match(
      issuesOf(
        http({
          mode: 'headers',
          headers: { 'X-Api-Key': { value_env: 'A' }, 'x-api-key': { value_env: 'B' } },
        }),
      )[0] ?? '',
      /x-api-key: is declared twice/,
    );
  });

  it('refuses the earlier upstream OAuth mode names, naming their new spelling', () => {
    for (const [mode, grant] of [
      ['oauth_user', 'per_user'],
      ['oauth_shared', 'shared'],
      ['client_credentials', 'client_credentials'],
    ])
      assert.deepEqual(issuesOf(http({ mode })), [
        `${at}.mode: upstream auth mode "${mode}" is now spelled mode: oauth with grant: ${grant}`,
      ]);
    assert.deepEqual(issuesOf(http({ mode: 'basic' })), [
      `${at}.mode: must be one of none, headers, oauth`,
    ]);
  });

  it('refuses inline header values, naming value_env', () => {
    assert.deepEqual(
      issuesOf(http({ mode: 'headers', headers: { Authorization: { value: 'Bearer x' } } })),
      [`${at}.headers.Authorization.value: secret values are not allowed inline; use value_env`],
    );
    assert.equal(
      issuesOf(http({ mode: 'headers', headers: { Authorization: 'Bearer x' } })).length,
      1,
    );
    assert.equal(issuesOf(http({ mode: 'headers', headers: { Authorization: {} } })).length, 1);
  });

  it('refuses headers without mode headers, and mode headers without headers', () => {
    assert.deepEqual(issuesOf(http({ headers: { 'X-Key': { value_env: 'K' } } })), [
      `${at}.headers: needs mode: headers`,
    ]);
    assert.deepEqual(issuesOf(http({ mode: 'headers' })), [
      `${at}.headers: mode headers needs at least one header`,
    ]);
  });

  it('refuses upstream auth and identity forwarding on stdio servers', () => {
    for (const upstreamAuth of [
      { forward_identity: true },
      { mode: 'headers', headers: { 'X-Key': { value_env: 'K' } } },
    ])
      assert.deepEqual(
        issuesOf(
          withServer({
            id: 'memory',
            transport: 'stdio',
            command: 'npx',
            upstream_auth: upstreamAuth,
          }),
        ),
        [`${at}: is not allowed for transport stdio: stdio servers get credentials through env`],
      );
  });

  it('takes headers by reference and identity forwarding, none by default', () => {
    const parsed = declarativeConfigSchema.parse(
      http({
        mode: 'headers',
        headers: { Authorization: { value_env: 'LINEAR_TOKEN' } },
        forward_identity: true,
      }),
    );
    assert.deepEqual(parsed.workspaces[0]?.servers[0]?.upstream_auth, {
      mode: 'headers',
      headers: { Authorization: { value_env: 'LINEAR_TOKEN' } },
      forward_identity: true,
    });
    const plain = declarativeConfigSchema.parse(http(undefined));
    assert.equal(plain.workspaces[0]?.servers[0]?.upstream_auth, undefined);
    const none = declarativeConfigSchema.parse(
      withServer({ id: 'm', transport: 'stdio', command: 'x', upstream_auth: { mode: 'none' } }),
    );
    assert.deepEqual(none.workspaces[0]?.servers[0]?.upstream_auth, {
      mode: 'none',
      forward_identity: false,
    });
  });
});

describe('declarative config schema: member secrets', () => {
  const stdio = (env: Record<string, unknown>) => ({
    workspaces: [
      {
        id: 'acme',
        name: 'Acme',
        servers: [{ id: 'github', transport: 'stdio', command: 'npx', env }],
      },
    ],
  });

  it('refuses member secrets in variables that choose what the process loads or runs', () => {
    for (const variable of [
      'NODE_OPTIONS',
      'LD_PRELOAD',
      'DYLD_INSERT_LIBRARIES',
      'PATH',
      'PYTHONPATH',
      'BASH_ENV',
    ])
      assert.deepEqual(issuesOf(stdio({ [variable]: { member_secret: 'token' } })), [
        `workspaces.0.servers.0.env.${variable}: cannot be a member_secret: it decides what the process loads or runs, so a member's value would run their own code on the gateway host`,
      ]);
  });

  it('takes member secrets in ordinary variables, and literal values in loader variables', () => {
    const parsed = declarativeConfigSchema.parse(
      stdio({ GITHUB_TOKEN: { member_secret: 'token' }, NODE_OPTIONS: '--max-old-space-size=256' }),
    );
    assert.deepEqual(Object.keys(parsed.workspaces[0]?.servers[0]?.env ?? {}).sort(), [
      'GITHUB_TOKEN',
      'NODE_OPTIONS',
    ]);
  });
});
