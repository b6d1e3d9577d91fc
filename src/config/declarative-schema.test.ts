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
