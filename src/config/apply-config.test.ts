import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { apiKeyPrefix, hashApiKey } from '../shared/api-key-hash.ts';
import { hashPassword, verifyPassword } from '../shared/password-hash.ts';
import { createStore } from '../store/create-store.ts';
import { openServerEnv } from '../auth/upstream-credentials/server-env.ts';
import { createVault, isSealedValue } from '../auth/upstream-credentials/vault.ts';
import { applyConfig } from './apply-config.ts';
import { formatApplySummary, hasChanges } from './apply-summary.ts';
import { ConfigFileError } from './config-issue.ts';
import { parseConfigText } from './load-config-file.ts';

const CI_KEY = 'pk_ci_0123456789abcdefghijklmnopqrstuvwxyz';
const env = {
  ADMIN_PASSWORD: 'correct horse battery staple',
  CI_API_KEY: CI_KEY,
  MEMORY_TOKEN: 'memory-secret',
};

const baseYaml = `
users:
  - email: admin@acme.test
    name: Admin
    password_env: ADMIN_PASSWORD
  - email: dev@acme.test
workspaces:
  - id: acme
    name: Acme
    members:
      - { email: admin@acme.test, role: owner }
      - { email: dev@acme.test, role: member }
    servers:
      - id: everything
        name: Everything
        transport: http
        url: http://127.0.0.1:3001/mcp
      - id: memory
        transport: stdio
        command: npx
        args: ["-y", "@modelcontextprotocol/server-memory"]
        env:
          MEMORY_FILE: /var/lib/memory.json
          TOKEN: { value_env: MEMORY_TOKEN }
        cwd: /srv/memory
        timeout_ms: 5000
api_keys:
  - { name: ci, user: admin@acme.test, workspace: acme, key_env: CI_API_KEY, servers: [everything] }
`;

/** Cheap scrypt cost for tests; the format and verification are the real ones. */
const vault = createVault({ secretKey: 'apply-config-test-secret-key-0123456789' });
const options = {
  vault,
  hashPassword: (password: string) => hashPassword(password, 10),
  defaultTimeoutMs: 30_000,
};

describe('applying the declarative config', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-apply-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let counter = 0;

  async function open(t: TestContext) {
    const store = await createStore({
      kind: 'sqlite',
      file: path.join(dir, `apply-${++counter}.db`),
    });
    await store.migrate();
    t.after(() => store.close());
    return store;
  }

  it('creates users, workspaces, members, servers and api keys', async (t) => {
    const store = await open(t);
    const summary = await applyConfig(store, parseConfigText(baseYaml), env, options);
    assert.equal(
      formatApplySummary(summary),
      'users: 2 created; workspaces: 1 created; members: 2 created; servers: 2 created; api keys: 1 created',
    );
    const admin = await store.users.findByEmail('admin@acme.test');
    assert.equal(admin?.name, 'Admin');
    assert.ok(await verifyPassword(env.ADMIN_PASSWORD, admin?.passwordHash ?? ''));
    assert.equal((await store.users.findByEmail('dev@acme.test'))?.passwordHash, null);
    assert.equal((await store.workspaces.find('acme'))?.name, 'Acme');
    assert.equal((await store.members.list('acme')).length, 2);
    const memory = await store.servers.find('acme', 'memory');
    assert.equal(memory?.name, 'memory');
    // Every value is stored sealed, the literal one too.
    assert.ok(!JSON.stringify(memory?.env).includes('memory-secret'));
    assert.ok(Object.values(memory?.env ?? {}).every(isSealedValue));
    assert.deepEqual(openServerEnv(vault, 'acme/memory', memory?.env ?? {}), {
      MEMORY_FILE: '/var/lib/memory.json',
      TOKEN: 'memory-secret',
    });
    assert.equal(memory?.timeoutMs, 5000);
    assert.equal(memory?.cwd, '/srv/memory');
    assert.equal((await store.servers.find('acme', 'everything'))?.cwd, null);
    assert.equal((await store.servers.find('acme', 'everything'))?.timeoutMs, 30_000);
    const key = await store.apiKeys.findByHash(hashApiKey(CI_KEY));
    assert.equal(key?.prefix, apiKeyPrefix(CI_KEY));
    assert.equal(key?.userId, admin?.id);
    assert.deepEqual(key?.serverIds, ['everything']);
    assert.equal(key?.revokedAt, null);
  });

  it('applying the same file twice changes nothing', async (t) => {
    const store = await open(t);
    const config = parseConfigText(baseYaml);
    await applyConfig(store, config, env, options);
    const before = await store.servers.list();
    const second = await applyConfig(store, config, env, options);
    assert.equal(hasChanges(second), false);
    assert.equal(formatApplySummary(second), 'no changes');
    assert.deepEqual(await store.servers.list(), before);
  });

  it('re-seals a server environment when a secret changes or the stored one does not open', async (t) => {
    const store = await open(t);
    const config = parseConfigText(baseYaml);
    await applyConfig(store, config, env, options);
    const changed = await applyConfig(store, config, { ...env, MEMORY_TOKEN: 'rotated' }, options);
    assert.equal(changed.servers.updated, 1);
    const memory = await store.servers.find('acme', 'memory');
    assert.equal(openServerEnv(vault, 'acme/memory', memory?.env ?? {}).TOKEN, 'rotated');

    const otherVault = createVault({ secretKey: 'another-secret-key-0123456789abcdefgh' });
    const foreign = await applyConfig(store, config, env, { ...options, vault: otherVault });
    assert.equal(foreign.servers.updated, 1);
    const resealed = await store.servers.find('acme', 'memory');
    assert.equal(
      openServerEnv(otherVault, 'acme/memory', resealed?.env ?? {}).TOKEN,
      'memory-secret',
    );
  });

  it('re-applying an edited file updates, adds and removes what changed', async (t) => {
    const store = await open(t);
    await applyConfig(store, parseConfigText(baseYaml), env, options);
    const edited = baseYaml
      .replace('name: Acme', 'name: Acme Corp')
      .replace('{ email: admin@acme.test, role: owner }', '{ email: admin@acme.test, role: admin }')
      .replace('      - { email: dev@acme.test, role: member }\n', '')
      .replace('http://127.0.0.1:3001/mcp', 'http://127.0.0.1:3002/mcp')
      .replace(
        / {6}- id: memory[\s\S]*?timeout_ms: 5000\n/,
        '      - id: github\n        transport: sse\n        url: https://example.test/sse\n',
      )
      .replace(/api_keys:[\s\S]*$/, 'api_keys: []\n');
    const summary = await applyConfig(store, parseConfigText(edited), env, options);
    assert.equal(
      formatApplySummary(summary),
      'workspaces: 1 updated; members: 1 updated, 1 removed; servers: 1 created, 1 updated, 1 removed; api keys: 1 revoked',
    );
    assert.deepEqual(
      (await store.servers.list('acme')).map((s) => [s.id, s.url]),
      [
        ['everything', 'http://127.0.0.1:3002/mcp'],
        ['github', 'https://example.test/sse'],
      ],
    );
    assert.deepEqual(
      (await store.members.list('acme')).map((m) => m.role),
      ['admin'],
    );
    assert.ok((await store.apiKeys.findByHash(hashApiKey(CI_KEY)))?.revokedAt instanceof Date);
    assert.ok(await store.users.findByEmail('dev@acme.test'), 'users are never removed');
  });

  it('updates a stdio server whose working directory changed', async (t) => {
    const store = await open(t);
    await applyConfig(store, parseConfigText(baseYaml), env, options);
    const moved = baseYaml.replace('cwd: /srv/memory', 'cwd: /srv/other');
    const summary = await applyConfig(store, parseConfigText(moved), env, options);
    assert.equal(formatApplySummary(summary), 'servers: 1 updated');
    assert.equal((await store.servers.find('acme', 'memory'))?.cwd, '/srv/other');
  });

  it('leaves workspaces the file does not declare alone', async (t) => {
    const store = await open(t);
    await store.workspaces.upsert({ id: 'other', name: 'Other' });
    await store.servers.upsert({
      workspaceId: 'other',
      id: 's',
      name: 'S',
      transport: 'http',
      url: 'http://x.test/mcp',
      timeoutMs: 1000,
    });
    await applyConfig(store, parseConfigText(baseYaml), env, options);
    assert.ok(await store.servers.find('other', 's'));
  });

  it('names the missing environment variables and their config paths, and writes nothing', async (t) => {
    const store = await open(t);
    await assert.rejects(
      applyConfig(
        store,
        parseConfigText(baseYaml),
        { CI_API_KEY: CI_KEY },
        { ...options, source: 'portcullis.yaml' },
      ),
      (error) => {
        assert.ok(error instanceof ConfigFileError);
        assert.equal(error.file, 'portcullis.yaml');
        assert.deepEqual(error.issues, [
          'users.0.password_env: environment variable ADMIN_PASSWORD is not set',
          'workspaces.0.servers.1.env.TOKEN.value_env: environment variable MEMORY_TOKEN is not set',
        ]);
        return true;
      },
    );
    assert.deepEqual(await store.workspaces.list(), []);
  });

  it('refuses api keys that are short or given twice', async (t) => {
    const store = await open(t);
    const twoKeys = `${baseYaml}  - { name: cd, user: admin@acme.test, workspace: acme, key_env: CD_API_KEY }\n`;
    await assert.rejects(
      applyConfig(store, parseConfigText(twoKeys), { ...env, CD_API_KEY: CI_KEY }, options),
      {
        issues: ['api_keys.1.key_env: holds the same key as api_keys.0.key_env'],
      },
    );
    await assert.rejects(
      applyConfig(store, parseConfigText(twoKeys), { ...env, CD_API_KEY: 'short' }, options),
      (error: ConfigFileError) => {
        assert.match(
          error.issues.join('\n'),
          /^api_keys\.1\.key_env: the key in CD_API_KEY is shorter than 32 characters/,
        );
        return true;
      },
    );
  });

  it('is all or nothing: a key already used elsewhere rolls back every change', async (t) => {
    const store = await open(t);
    await store.workspaces.upsert({ id: 'other', name: 'Other' });
    const owner = await store.users.upsert({ email: 'owner@other.test' });
    await store.apiKeys.upsert({
      name: 'taken',
      userId: owner.id,
      workspaceId: 'other',
      keyHash: hashApiKey(CI_KEY),
      prefix: 'x',
    });
    await assert.rejects(applyConfig(store, parseConfigText(baseYaml), env, options), {
      issues: [
        'api_keys.0.key_env: the key in CI_API_KEY is already used by api key "taken" of workspace "other"',
      ],
    });
    assert.equal(await store.workspaces.find('acme'), undefined);
    assert.equal(await store.users.findByEmail('admin@acme.test'), undefined);
  });

  it('sets a password only when the user has none', async (t) => {
    const store = await open(t);
    await store.users.upsert({
      email: 'admin@acme.test',
      passwordHash: await hashPassword('chosen by the user', 10),
    });
    await applyConfig(store, parseConfigText(baseYaml), env, options);
    const admin = await store.users.findByEmail('admin@acme.test');
    assert.ok(await verifyPassword('chosen by the user', admin!.passwordHash!));
    const again = await applyConfig(
      store,
      parseConfigText(baseYaml),
      { ...env, ADMIN_PASSWORD: 'changed' },
      options,
    );
    assert.equal(again.users.updated, 0);
  });

  it('matches users by email in any case and adopts the file casing', async (t) => {
    const store = await open(t);
    const existing = await store.users.upsert({
      email: 'ADMIN@ACME.TEST',
      name: 'Admin',
      passwordHash: 'x',
    });
    const summary = await applyConfig(store, parseConfigText(baseYaml), env, options);
    assert.equal(summary.users.updated, 1);
    const admin = await store.users.findByEmail('admin@acme.test');
    assert.equal(admin?.id, existing.id);
    assert.equal(admin?.email, 'admin@acme.test');
  });

  it('keeps a revoked key revoked while its value is unchanged, and a new value replaces it', async (t) => {
    const store = await open(t);
    const config = parseConfigText(baseYaml);
    await applyConfig(store, config, env, options);
    const key = await store.apiKeys.findByHash(hashApiKey(CI_KEY));
    await store.apiKeys.revoke(key!.id, new Date());
    const same = await applyConfig(store, config, env, options);
    assert.equal(hasChanges(same), false);
    assert.deepEqual(same.warnings, [
      'api_keys.0: api key "ci" of workspace "acme" is revoked; put a new key in CI_API_KEY to issue a replacement',
    ]);
    const newKey = `${CI_KEY}-rotated`;
    const rotated = await applyConfig(store, config, { ...env, CI_API_KEY: newKey }, options);
    assert.equal(rotated.apiKeys.updated, 1);
    const replacement = await store.apiKeys.findByHash(hashApiKey(newKey));
    assert.equal(replacement?.id, key!.id);
    assert.equal(replacement?.revokedAt, null);
    assert.equal(await store.apiKeys.findByHash(hashApiKey(CI_KEY)), undefined);
  });

  it('sets the instance administrator flag when given and keeps it when absent', async (t) => {
    const store = await open(t);
    const withAdmin = baseYaml.replace('    name: Admin\n', '    name: Admin\n    admin: true\n');
    const created = await applyConfig(store, parseConfigText(withAdmin), env, options);
    assert.equal(created.users.created, 2);
    assert.equal((await store.users.findByEmail('admin@acme.test'))?.isAdmin, true);
    assert.equal((await store.users.findByEmail('dev@acme.test'))?.isAdmin, false);
    const absent = await applyConfig(store, parseConfigText(baseYaml), env, options);
    assert.equal(hasChanges(absent), false);
    assert.equal((await store.users.findByEmail('admin@acme.test'))?.isAdmin, true);
    const demoted = await applyConfig(
      store,
      parseConfigText(withAdmin.replace('admin: true', 'admin: false')),
      env,
      options,
    );
    assert.equal(formatApplySummary(demoted), 'users: 1 updated');
    assert.equal((await store.users.findByEmail('admin@acme.test'))?.isAdmin, false);
  });

  it("sets each member's servers, every server when absent", async (t) => {
    const store = await open(t);
    const limited = baseYaml.replace(
      '{ email: dev@acme.test, role: member }',
      '{ email: dev@acme.test, role: member, servers: [memory] }',
    );
    await applyConfig(store, parseConfigText(limited), env, options);
    const dev = await store.users.findByEmail('dev@acme.test');
    const admin = await store.users.findByEmail('admin@acme.test');
    assert.deepEqual((await store.members.find('acme', dev!.id))?.serverIds, ['memory']);
    assert.equal((await store.members.find('acme', admin!.id))?.serverIds, null);
    assert.equal(
      hasChanges(await applyConfig(store, parseConfigText(limited), env, options)),
      false,
    );
    const widened = limited.replace('servers: [memory]', 'servers: [memory, everything]');
    const summary = await applyConfig(store, parseConfigText(widened), env, options);
    assert.equal(formatApplySummary(summary), 'members: 1 updated');
    assert.deepEqual((await store.members.find('acme', dev!.id))?.serverIds, [
      'memory',
      'everything',
    ]);
    const everything = await applyConfig(store, parseConfigText(baseYaml), env, options);
    assert.equal(formatApplySummary(everything), 'members: 1 updated');
    assert.equal((await store.members.find('acme', dev!.id))?.serverIds, null);
  });

  it('counts server policies and usage limits created, updated, removed and unchanged', async (t) => {
    const store = await open(t);
    const declare = (policies: string, limits: string) =>
      parseConfigText(
        baseYaml
          .replace(
            '        url: http://127.0.0.1:3001/mcp\n',
            `        url: http://127.0.0.1:3001/mcp\n${policies}`,
          )
          .replace('        timeout_ms: 5000\n', `        timeout_ms: 5000\n${limits}`),
      );
    const policy = (mode: string) => `        policy: { mode: ${mode} }\n`;
    const limits = (...rules: string[]) =>
      `    limits:\n${rules.map((rule) => `      - ${rule}\n`).join('')}`;
    const hourly = '{ name: hourly, period: hour, limit: 100 }';
    const daily = (limit: number) => `{ name: daily, period: day, limit: ${limit} }`;

    await applyConfig(store, parseConfigText(baseYaml), env, options);
    const first = await applyConfig(
      store,
      declare(policy('allowlist'), limits(hourly, daily(5))),
      env,
      options,
    );
    assert.equal(formatApplySummary(first), 'policies: 1 created; usage limits: 2 created');
    assert.deepEqual(first.policies, { created: 1, updated: 0, removed: 0, unchanged: 0 });

    const same = await applyConfig(
      store,
      declare(policy('allowlist'), limits(hourly, daily(5))),
      env,
      options,
    );
    assert.equal(hasChanges(same), false);
    assert.equal(formatApplySummary(same), 'no changes');
    assert.deepEqual(same.policies, { created: 0, updated: 0, removed: 0, unchanged: 1 });
    assert.deepEqual(same.limits, { created: 0, updated: 0, removed: 0, unchanged: 2 });

    const onlyLimits = await applyConfig(
      store,
      declare(policy('allowlist'), limits(hourly, daily(9))),
      env,
      options,
    );
    assert.equal(formatApplySummary(onlyLimits), 'usage limits: 1 updated, 1 unchanged');

    const onlyPolicy = await applyConfig(
      store,
      declare(policy('open'), limits(hourly, daily(9))),
      env,
      options,
    );
    assert.equal(formatApplySummary(onlyPolicy), 'policies: 1 updated');
    assert.equal((await store.serverPolicies.current('acme', 'everything'))?.version, 2);

    // Dropping `policy:` keeps the stored one (API changes survive); dropped rules are removed.
    const dropped = await applyConfig(store, declare('', limits(hourly)), env, options);
    assert.equal(formatApplySummary(dropped), 'usage limits: 1 removed, 1 unchanged');
    assert.equal((await store.serverPolicies.current('acme', 'everything'))?.version, 2);
  });

  it('refuses member servers the workspace does not declare and writes nothing', async (t) => {
    const store = await open(t);
    const unknown = baseYaml.replace(
      '{ email: dev@acme.test, role: member }',
      '{ email: dev@acme.test, role: member, servers: [github] }',
    );
    assert.throws(() => parseConfigText(unknown, 'portcullis.yaml'), {
      issues: [
        'workspaces.0.members.1.servers.0: no server "github" in workspace "acme" (line 12, column 57)',
      ],
    });
    assert.deepEqual(await store.workspaces.list(), []);
  });
});
