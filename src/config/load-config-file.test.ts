import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigFileError } from './config-issue.ts';
import { loadConfigFile, parseConfigText } from './load-config-file.ts';

const example = `# portcullis.yaml
users:
  - email: admin@acme.test
    password_env: ADMIN_PASSWORD
workspaces:
  - id: acme
    name: Acme
    members:
      - { email: admin@acme.test, role: owner }
    servers:
      - id: everything
        name: Everything
        transport: http
        url: http://127.0.0.1:3001/mcp
      - id: memory
        transport: stdio
        command: npx
        args: ["-y", "@modelcontextprotocol/server-memory"]
api_keys:
  - { name: ci, user: admin@acme.test, workspace: acme, key_env: CI_API_KEY }
`;

function issuesOf(text: string): string[] {
  try {
    parseConfigText(text, 'portcullis.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigFileError);
    assert.equal(error.file, 'portcullis.yaml');
    return [...error.issues];
  }
  assert.fail('expected the config to be invalid');
}

describe('loading the declarative config file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses the documented example and fills defaults', () => {
    const config = parseConfigText(example);
    assert.equal(config.users[0]?.password_env, 'ADMIN_PASSWORD');
    assert.deepEqual(config.workspaces[0]?.servers[0]?.args, []);
    assert.deepEqual(config.workspaces[0]?.servers[1]?.env, {});
    assert.equal(config.api_keys[0]?.key_env, 'CI_API_KEY');
  });

  it('reads a file from disk', async () => {
    const file = path.join(dir, 'portcullis.yaml');
    writeFileSync(file, example);
    assert.equal((await loadConfigFile(file)).workspaces[0]?.id, 'acme');
  });

  it('reports a missing field by its path and the line of its parent', () => {
    const text = example.replace('        url: http://127.0.0.1:3001/mcp\n', '');
    assert.deepEqual(issuesOf(text), [
      'workspaces.0.servers.0.url: is required for transport http (line 11, column 9)',
    ]);
  });

  it('reports every problem at once, each at its own line', () => {
    const text = example
      .replace('role: owner', 'role: boss')
      .replace('        transport: stdio\n', '        transport: stdio\n        tranport: x\n')
      .replace(
        '  - email: admin@acme.test\n    password_env',
        '  - email: not-an-email\n    password_env',
      );
    assert.deepEqual(issuesOf(text), [
      'users.0.email: Invalid email address (line 3, column 12)',
      'workspaces.0.members.0.role: Invalid option: expected one of "owner"|"admin"|"member"|"viewer" (line 9, column 41)',
      'workspaces.0.servers.1.tranport: is not a known key (line 17, column 9)',
    ]);
  });

  it('takes an absolute cwd for stdio servers only', () => {
    const stdio = '        args: ["-y", "@modelcontextprotocol/server-memory"]\n';
    const withCwd = parseConfigText(example.replace(stdio, `${stdio}        cwd: /srv/memory\n`));
    assert.equal(withCwd.workspaces[0]!.servers[1]!.cwd, '/srv/memory');
    assert.deepEqual(issuesOf(example.replace(stdio, `${stdio}        cwd: srv/memory\n`)), [
      'workspaces.0.servers.1.cwd: must be an absolute path (line 19, column 14)',
    ]);
    const http = '        url: http://127.0.0.1:3001/mcp\n';
    assert.deepEqual(issuesOf(example.replace(http, `${http}        cwd: /srv\n`)), [
      'workspaces.0.servers.0.cwd: is only allowed for transport stdio (line 15, column 14)',
    ]);
  });

  it('refuses inline secrets as unknown keys', () => {
    const text = example.replace('password_env: ADMIN_PASSWORD', 'password: hunter2');
    assert.deepEqual(issuesOf(text), ['users.0.password: is not a known key (line 4, column 5)']);
  });

  it('refuses a __proto__ key in any map instead of dropping its entry', () => {
    const text = example.replace(
      '        args: ["-y", "@modelcontextprotocol/server-memory"]\n',
      '        args: ["-y", "@modelcontextprotocol/server-memory"]\n' +
        '        env:\n          __proto__: { value: x }\n          LEVEL: debug\n',
    );
    assert.deepEqual(issuesOf(text), [
      'workspaces.0.servers.1.env.__proto__: is not allowed as a key (line 20, column 11)',
    ]);
    assert.deepEqual(issuesOf('__proto__: {}\n'), [
      '__proto__: is not allowed as a key (line 1, column 1)',
    ]);
  });

  it('reports cross-reference errors with their paths', () => {
    const text = example.replace('workspace: acme, key_env', 'workspace: nope, key_env');
    assert.deepEqual(issuesOf(text), [
      'api_keys.0.workspace: no workspace "nope" (line 20, column 51)',
    ]);
  });

  it('refuses the same user twice in different case', () => {
    const text = example.replace('users:\n', 'users:\n  - email: ADMIN@acme.test\n');
    assert.deepEqual(issuesOf(text), [
      'users.1.email: duplicate user email "admin@acme.test" (emails are case-insensitive) (line 4, column 12)',
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    const [issue, ...rest] = issuesOf('users:\n  - email: [a@b.test\nworkspaces: []\n');
    assert.equal(rest.length, 0);
    assert.match(issue!, /^\(yaml\): .+ \(line \d+, column \d+\)$/);
  });

  it('reports duplicate keys as YAML errors', () => {
    assert.deepEqual(issuesOf('users: []\nusers: []\n'), [
      '(yaml): Map keys must be unique (line 2, column 1)',
    ]);
  });

  it('reports a wrong top-level type at the root', () => {
    assert.deepEqual(issuesOf('- just\n- a list\n'), [
      '(root): Invalid input: expected object, received array (line 1, column 1)',
    ]);
  });

  it('treats an empty file as an empty config', () => {
    assert.deepEqual(parseConfigText(''), { users: [], workspaces: [], api_keys: [] });
  });

  it('reports a file that cannot be read', async () => {
    await assert.rejects(loadConfigFile(path.join(dir, 'missing.yaml')), (error) => {
      assert.ok(error instanceof ConfigFileError);
      assert.deepEqual(error.issues, ['(file): cannot be read (ENOENT)']);
      return true;
    });
  });
});
