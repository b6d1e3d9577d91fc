import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyConfig } from '../../config/apply-config.ts';
import { hasChanges } from '../../config/apply-summary.ts';
import { parseConfigText } from '../../config/load-config-file.ts';
import { GatewayError } from '../../shared/errors.ts';
import { createStore } from '../../store/create-store.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import { createMemberEnvReader, MEMBER_SECRET_PURPOSE, memberEnvOf } from './member-secrets.ts';
import { rotateSecrets } from './reseal-secrets.ts';
import { createVault } from './vault.ts';

const OLD_KEY = 'member-secrets-test-old-key-of-enough-length';
const NEW_KEY = 'member-secrets-test-new-key-of-enough-length';

describe('member secrets', () => {
  let dir: string;
  let store: Store;
  let server: ServerDefinition;
  let userId: string;
  const vault = createVault({ secretKey: OLD_KEY });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'member-secrets-'));
    store = await createStore({ kind: 'sqlite', file: path.join(dir, 'test.sqlite') });
    await store.migrate();
    await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
    userId = (await store.users.upsert({ email: 'ada@acme.test' })).id;
    await store.members.upsert({ workspaceId: 'acme', userId, role: 'member' });
    server = await store.servers.upsert({
      workspaceId: 'acme',
      id: 'github',
      name: 'GitHub',
      transport: 'stdio',
      command: 'github-mcp',
      memberEnv: memberEnvOf({
        LOG: 'debug',
        GITHUB_TOKEN: { member_secret: 'token' },
        GH_TOKEN: { member_secret: 'token' },
        GITHUB_ORG: { member_secret: 'org', description: 'Your organisation' },
      }),
      timeoutMs: 1000,
    });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('memberEnvOf keeps only member_secret entries, and none means undefined', () => {
    assert.deepEqual(server.memberEnv, {
      GITHUB_TOKEN: { secret: 'token', description: null },
      GH_TOKEN: { secret: 'token', description: null },
      GITHUB_ORG: { secret: 'org', description: 'Your organisation' },
    });
    assert.equal(memberEnvOf({ A: 'b', C: { value_env: 'D' } }), undefined);
  });

  it('refuses a member missing values, naming each missing secret and the path, never a value', async () => {
    const read = createMemberEnvReader(store, vault);
    await store.memberSecrets.put('acme', 'github', userId, {
      org: vault.seal(MEMBER_SECRET_PURPOSE, 'acme-org-value'),
    });
    await assert.rejects(read(server, userId), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'upstream_member_secret_required');
      assert.match(error.message, /secret token,? which you have not set/);
      assert.match(
        error.message,
        /PUT \/api\/v1\/workspaces\/acme\/servers\/github\/member-secrets/,
      );
      assert.ok(!error.message.includes('acme-org-value'));
      return true;
    });
  });

  it('opens a member’s values into every variable naming them', async () => {
    await store.memberSecrets.put('acme', 'github', userId, {
      token: vault.seal(MEMBER_SECRET_PURPOSE, 'ghp_value'),
    });
    assert.deepEqual(await createMemberEnvReader(store, vault)(server, userId), {
      GITHUB_TOKEN: 'ghp_value',
      GH_TOKEN: 'ghp_value',
      GITHUB_ORG: 'acme-org-value',
    });
  });

  it('rotate-key re-seals them under the new key; the old key alone no longer opens them', async () => {
    const rotated = createVault({ secretKey: NEW_KEY, previousSecretKeys: [OLD_KEY] });
    const tallies = await rotateSecrets(store, { vault: rotated, legacySecretKeys: [] });
    const tally = tallies.find((entry) => entry.kind === 'member secret values');
    assert.equal(tally?.resealed, 2);
    const fresh = createVault({ secretKey: NEW_KEY });
    assert.equal((await createMemberEnvReader(store, fresh)(server, userId)).GH_TOKEN, 'ghp_value');
    await assert.rejects(
      createMemberEnvReader(store, vault)(server, userId),
      (error: unknown) => error instanceof GatewayError && error.code === 'secret_unreadable',
    );
  });
});

describe('member secrets in the declarative config', () => {
  const yaml = (
    description: string,
    members = '      - { email: ada@acme.test, role: member }',
  ) => `
users:
  - email: ada@acme.test
workspaces:
  - id: acme
    name: Acme
    members:
${members}
    servers:
      - id: github
        transport: stdio
        command: github-mcp
        env:
          LOG: debug
          GITHUB_TOKEN: { member_secret: token, description: "${description}" }
`;
  const vault = createVault({ secretKey: OLD_KEY });
  const options = { vault, hashPassword: async () => 'x', defaultTimeoutMs: 30_000 };

  it('is applied idempotently, keeps members’ values across edits, and drops a removed member’s', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'member-secrets-apply-'));
    const store = await createStore({ kind: 'sqlite', file: path.join(dir, 'test.sqlite') });
    t.after(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    await store.migrate();
    await applyConfig(store, parseConfigText(yaml('A token')), {}, options);
    const server = await store.servers.find('acme', 'github');
    assert.deepEqual(server?.memberEnv, {
      GITHUB_TOKEN: { secret: 'token', description: 'A token' },
    });
    assert.deepEqual(Object.keys(server?.env ?? {}), ['LOG']);
    const ada = (await store.users.findByEmail('ada@acme.test'))!;
    await store.memberSecrets.put('acme', 'github', ada.id, {
      token: vault.seal(MEMBER_SECRET_PURPOSE, 'v'),
    });
    assert.equal(
      hasChanges(await applyConfig(store, parseConfigText(yaml('A token')), {}, options)),
      false,
    );
    const edited = await applyConfig(store, parseConfigText(yaml('Another')), {}, options);
    assert.equal(edited.servers.updated, 1);
    assert.equal((await store.memberSecrets.list()).length, 1);
    await applyConfig(store, parseConfigText(yaml('Another', '      []')), {}, options);
    assert.deepEqual(await store.memberSecrets.list(), []);
  });

  it('refuses member_secret outside stdio servers and malformed entries', () => {
    const http = `
workspaces:
  - id: acme
    name: Acme
    servers:
      - id: web
        transport: http
        url: https://web.example.com/mcp
        env:
          TOKEN: { member_secret: token }
`;
    assert.throws(() => parseConfigText(http), /member_secret is only allowed for transport stdio/);
    for (const entry of ['{ member_secret: "bad name" }', '{ member_secret: token, value_env: X }'])
      assert.throws(() =>
        parseConfigText(yaml('x').replace('{ member_secret: token, description: "x" }', entry)),
      );
  });
});
