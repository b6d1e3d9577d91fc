import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { SsoConfig } from '../../config/runtime-config.ts';
import { GatewayError } from '../../shared/errors.ts';
import { createStore } from '../../store/create-store.ts';
import type { Store } from '../../store/store.ts';
import { createAuditLog } from '../../audit/audit-log.ts';
import { resolveSsoUser } from './sso-account.ts';

const sso: SsoConfig = {
  issuer: 'https://id.example',
  clientId: 'gw',
  clientSecret: undefined,
  label: 'Example ID',
  emailDomains: ['acme.test'],
  groupRoles: [
    { group: 'eng', workspaceId: 'acme', role: 'member' },
    { group: 'leads', workspaceId: 'acme', role: 'admin' },
    { group: 'eng', workspaceId: 'gone', role: 'owner' },
    { group: 'ops', workspaceId: 'ops', role: 'viewer' },
  ],
};

describe('resolveSsoUser', () => {
  let dir: string;
  let store: Store;
  const deps = () => ({ store, sso, logger: pino({ level: 'silent' }) });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-sso-account-'));
    store = await createStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
    await store.migrate();
    await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
    await store.workspaces.upsert({ id: 'ops', name: 'Ops' });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function refused(claims: Record<string, unknown>, message: RegExp): Promise<void> {
    const users = await store.users.count();
    await assert.rejects(
      resolveSsoUser(deps(), { sub: 'x', ...claims }),
      (error: unknown) =>
        error instanceof GatewayError && error.code === 'forbidden' && message.test(error.message),
    );
    assert.equal(await store.users.count(), users, 'nothing created');
  }

  it('refuses a missing, malformed or unverified email', async () => {
    await refused({ email_verified: true }, /did not share an email/);
    await refused({ email: 'not-an-email', email_verified: true }, /did not share an email/);
    await refused({ email: 'a@acme.test' }, /not verified/);
    await refused({ email: 'a@acme.test', email_verified: 'true' }, /not verified/);
    await refused({ email: 'a@acme.test', email_verified: false }, /not verified/);
  });

  it('refuses a new user outside the allowed domains, even a subdomain', async () => {
    await refused({ email: 'a@evil.test', email_verified: true }, /no gateway account/);
    await refused({ email: 'a@sub.acme.test', email_verified: true }, /no gateway account/);
    await refused({ email: 'a@acme.test.evil', email_verified: true }, /no gateway account/);
  });

  it('creates an allowed-domain user and maps groups, the highest role winning per workspace', async () => {
    const { user, created } = await resolveSsoUser(deps(), {
      sub: 'u1',
      email: ' Dee@ACME.test ',
      email_verified: true,
      name: ' Dee ',
      groups: ['leads', 'eng', 7, 'unmapped'],
    });
    assert.equal(created, true);
    assert.equal(user.email, 'Dee@ACME.test');
    assert.equal(user.name, 'Dee');
    assert.equal(user.passwordHash, null);
    assert.equal(user.isAdmin, false);
    const members = await store.members.listForUser(user.id);
    // `gone` does not exist and is skipped; `ops` is not among the groups.
    assert.deepEqual(
      members.map((m) => [m.workspaceId, m.role]),
      [['acme', 'admin']],
    );
  });

  it('finds an existing user by email case-insensitively and treats a lone string as one group', async () => {
    const first = await store.users.find((await store.users.findByEmail('dee@acme.test'))!.id);
    const { user, created } = await resolveSsoUser(deps(), {
      sub: 'u1',
      email: 'DEE@acme.TEST',
      email_verified: true,
      groups: 'ops',
    });
    assert.equal(created, false);
    assert.equal(user.id, first!.id);
    assert.equal(user.email, 'Dee@ACME.test');
    const roles = Object.fromEntries(
      (await store.members.listForUser(user.id)).map((m) => [m.workspaceId, m.role]),
    );
    // acme is no longer covered by a group of this sign-in: left as it was.
    assert.deepEqual(roles, { acme: 'admin', ops: 'viewer' });
  });

  it('keeps the server access an administrator gave a member when updating the role', async () => {
    const user = (await store.users.findByEmail('dee@acme.test'))!;
    await store.members.upsert({
      workspaceId: 'acme',
      userId: user.id,
      role: 'owner',
      serverIds: ['a'],
    });
    await resolveSsoUser(deps(), {
      sub: 'u1',
      email: 'dee@acme.test',
      email_verified: true,
      groups: ['eng'],
    });
    const member = await store.members.find('acme', user.id);
    assert.equal(member?.role, 'member');
    assert.deepEqual(member?.serverIds, ['a']);
  });
});

describe('resolveSsoUser with the audit log', () => {
  it('records the account and memberships a sign-in creates with the person signing in as actor', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-sso-audit-'));
    const store = await createStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
    t.after(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    await store.migrate();
    await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
    const audit = createAuditLog({ store });
    const { user } = await resolveSsoUser(
      { store: audit.watch(store), sso, logger: pino({ level: 'silent' }), audit },
      { sub: 'u9', email: 'Nia@acme.test', email_verified: true, groups: ['eng'] },
    );
    const entries = await audit.list({ limit: 10 });
    assert.deepEqual(
      entries
        .map((entry) => [entry.action, entry.actorKind, entry.actorId, entry.actorEmail])
        .sort(),
      [
        ['member.create', 'user', user.id, 'nia@acme.test'],
        ['user.create', 'user', user.id, 'nia@acme.test'],
      ],
    );
    // A later sign-in that changes nothing records nothing.
    await resolveSsoUser(
      { store: audit.watch(store), sso, logger: pino({ level: 'silent' }), audit },
      { sub: 'u9', email: 'nia@acme.test', email_verified: true, groups: ['eng'] },
    );
    assert.equal((await audit.list({ limit: 10 })).length, 2);
  });
});
