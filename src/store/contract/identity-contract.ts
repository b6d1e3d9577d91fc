/** Users, workspaces and members. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith, sleep } from './contract-support.ts';

export function identityContract(h: ContractHarness): void {
  describe('users', () => {
    it('upsert creates a user and finds it by id and by email in any case', async (t) => {
      const store = await h.open(t);
      const user = await store.users.upsert({
        email: 'Ada@Example.test',
        name: 'Ada',
        passwordHash: '$scrypt$x',
      });
      assert.equal(user.email, 'Ada@Example.test');
      assert.equal(user.name, 'Ada');
      assert.equal(user.passwordHash, '$scrypt$x');
      assert.ok(user.createdAt instanceof Date);
      assert.deepEqual(await store.users.find(user.id), user);
      assert.deepEqual(await store.users.findByEmail('ada@example.TEST'), user);
    });

    it('upsert with the same email in another case updates the same user', async (t) => {
      const store = await h.open(t);
      const first = await store.users.upsert({ email: 'ada@example.test', name: 'Ada' });
      const second = await store.users.upsert({ email: 'ADA@example.test', name: 'Ada L.' });
      assert.equal(second.id, first.id);
      assert.equal(second.name, 'Ada L.');
      assert.equal(second.email, 'ADA@example.test');
      assert.equal(second.createdAt.getTime(), first.createdAt.getTime());
    });

    it('upsert keeps omitted fields and clears fields given as null', async (t) => {
      const store = await h.open(t);
      await store.users.upsert({ email: 'ada@example.test', name: 'Ada', passwordHash: 'h' });
      const kept = await store.users.upsert({ email: 'ada@example.test' });
      assert.equal(kept.name, 'Ada');
      assert.equal(kept.passwordHash, 'h');
      const cleared = await store.users.upsert({ email: 'ada@example.test', passwordHash: null });
      assert.equal(cleared.name, 'Ada');
      assert.equal(cleared.passwordHash, null);
    });

    it('upsert is idempotent', async (t) => {
      const store = await h.open(t);
      const first = await store.users.upsert({ email: 'ada@example.test', name: 'Ada' });
      const second = await store.users.upsert({ email: 'ada@example.test', name: 'Ada' });
      assert.deepEqual(second, first);
    });

    it('concurrent upserts of one email create one user', async (t) => {
      const store = await h.open(t);
      const users = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.users.upsert({ email: i % 2 === 0 ? 'ada@example.test' : 'ADA@example.test' }),
        ),
      );
      assert.equal(new Set(users.map((user) => user.id)).size, 1);
    });

    it('isAdmin defaults to false, is set by upsert and kept when omitted', async (t) => {
      const store = await h.open(t);
      const plain = await store.users.upsert({ email: 'ada@example.test' });
      assert.equal(plain.isAdmin, false);
      const admin = await store.users.upsert({ email: 'ada@example.test', isAdmin: true });
      assert.equal(admin.isAdmin, true);
      assert.equal((await store.users.upsert({ email: 'ada@example.test' })).isAdmin, true);
      assert.equal((await store.users.find(plain.id))?.isAdmin, true);
      const demoted = await store.users.upsert({ email: 'ada@example.test', isAdmin: false });
      assert.equal(demoted.isAdmin, false);
    });

    it('list orders users by creation and count counts them', async (t) => {
      const store = await h.open(t);
      assert.deepEqual(await store.users.list(), []);
      assert.equal(await store.users.count(), 0);
      const first = await store.users.upsert({ email: 'zed@example.test' });
      await sleep(2);
      const second = await store.users.upsert({ email: 'amy@example.test', isAdmin: true });
      assert.deepEqual(await store.users.list(), [first, second]);
      assert.equal(await store.users.count(), 2);
    });

    it('find returns undefined for unknown users', async (t) => {
      const store = await h.open(t);
      assert.equal(await store.users.find(randomUUID()), undefined);
      assert.equal(await store.users.findByEmail('nobody@example.test'), undefined);
    });
  });

  describe('workspaces', () => {
    it('upsert creates, renames and lists workspaces by id', async (t) => {
      const store = await h.open(t);
      const created = await store.workspaces.upsert({ id: 'zeta', name: 'Zeta' });
      await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
      const renamed = await store.workspaces.upsert({ id: 'zeta', name: 'Zeta Corp' });
      assert.equal(renamed.name, 'Zeta Corp');
      assert.equal(renamed.createdAt.getTime(), created.createdAt.getTime());
      assert.deepEqual(
        (await store.workspaces.list()).map((ws) => [ws.id, ws.name]),
        [
          ['acme', 'Acme'],
          ['zeta', 'Zeta Corp'],
        ],
      );
      assert.deepEqual(await store.workspaces.find('zeta'), renamed);
      assert.equal(await store.workspaces.find('missing'), undefined);
    });

    it('remove deletes a workspace with its members, servers, keys and invitations only', async (t) => {
      const store = await h.open(t);
      const user = await store.users.upsert({ email: 'ada@example.test' });
      for (const id of ['acme', 'zeta']) {
        await store.workspaces.upsert({ id, name: id });
        await store.members.upsert({ workspaceId: id, userId: user.id, role: 'owner' });
        await store.servers.upsert({
          workspaceId: id,
          id: 'docs',
          name: 'Docs',
          transport: 'http',
          url: 'https://docs.example/mcp',
          timeoutMs: 1000,
        });
        await store.apiKeys.upsert({
          name: 'ci',
          userId: user.id,
          workspaceId: id,
          keyHash: `hash-${id}`,
          prefix: 'pcl_x',
        });
        await store.invitations.create({
          workspaceId: id,
          email: 'bob@example.test',
          role: 'member',
          serverIds: null,
          tokenHash: `invite-${id}`,
          invitedBy: user.id,
          expiresAt: new Date(Date.now() + 60_000),
        });
      }
      await store.workspaces.remove('acme');
      await store.workspaces.remove('missing');
      assert.deepEqual(
        (await store.workspaces.list()).map((ws) => ws.id),
        ['zeta'],
      );
      assert.deepEqual(await store.members.list('acme'), []);
      assert.deepEqual(await store.servers.list('acme'), []);
      assert.deepEqual(await store.apiKeys.list('acme'), []);
      assert.deepEqual(await store.invitations.list('acme'), []);
      assert.equal((await store.members.list('zeta')).length, 1);
      assert.equal((await store.servers.list('zeta')).length, 1);
      assert.equal((await store.apiKeys.list('zeta')).length, 1);
      assert.equal((await store.invitations.list('zeta')).length, 1);
      assert.ok(await store.users.find(user.id));
    });
  });

  describe('members', () => {
    it('upsert adds a member and changes its role without duplicating it', async (t) => {
      const { store, user } = await h.seeded(t);
      const added = await store.members.upsert({
        workspaceId: 'acme',
        userId: user.id,
        role: 'member',
      });
      assert.deepEqual(added, {
        workspaceId: 'acme',
        userId: user.id,
        role: 'member',
        serverIds: null,
      });
      await store.members.upsert({ workspaceId: 'acme', userId: user.id, role: 'owner' });
      assert.deepEqual(await store.members.list('acme'), [
        { workspaceId: 'acme', userId: user.id, role: 'owner', serverIds: null },
      ]);
    });

    it('list is per workspace and remove deletes only that membership', async (t) => {
      const { store, user } = await h.seeded(t);
      await store.workspaces.upsert({ id: 'beta', name: 'Beta' });
      const other = await store.users.upsert({ email: 'dev@acme.test' });
      await store.members.upsert({ workspaceId: 'acme', userId: user.id, role: 'owner' });
      await store.members.upsert({ workspaceId: 'acme', userId: other.id, role: 'viewer' });
      await store.members.upsert({ workspaceId: 'beta', userId: user.id, role: 'admin' });
      await store.members.remove('acme', user.id);
      assert.deepEqual(await store.members.list('acme'), [
        { workspaceId: 'acme', userId: other.id, role: 'viewer', serverIds: null },
      ]);
      assert.deepEqual(await store.members.list('beta'), [
        { workspaceId: 'beta', userId: user.id, role: 'admin', serverIds: null },
      ]);
      await store.members.remove('acme', user.id);
      assert.equal((await store.members.list('acme')).length, 1);
    });

    it('serverIds: new members reach every server, null and lists are stored, omission keeps them', async (t) => {
      const { store, user } = await h.seeded(t);
      const ref = { workspaceId: 'acme', userId: user.id };
      assert.equal((await store.members.upsert({ ...ref, role: 'member' })).serverIds, null);
      const limited = await store.members.upsert({ ...ref, role: 'member', serverIds: ['a', 'b'] });
      assert.deepEqual(limited.serverIds, ['a', 'b']);
      const promoted = await store.members.upsert({ ...ref, role: 'admin' });
      assert.deepEqual(promoted, { ...ref, role: 'admin', serverIds: ['a', 'b'] });
      assert.deepEqual(await store.members.find('acme', user.id), promoted);
      const none = await store.members.upsert({ ...ref, role: 'admin', serverIds: [] });
      assert.deepEqual(none.serverIds, []);
      const all = await store.members.upsert({ ...ref, role: 'admin', serverIds: null });
      assert.equal(all.serverIds, null);
      assert.deepEqual(await store.members.list('acme'), [all]);
    });

    it("find and listForUser return one user's memberships across workspaces", async (t) => {
      const { store, user } = await h.seeded(t);
      await store.workspaces.upsert({ id: 'beta', name: 'Beta' });
      const other = await store.users.upsert({ email: 'dev@acme.test' });
      await store.members.upsert({ workspaceId: 'beta', userId: user.id, role: 'viewer' });
      await store.members.upsert({
        workspaceId: 'acme',
        userId: user.id,
        role: 'owner',
        serverIds: ['x'],
      });
      await store.members.upsert({ workspaceId: 'acme', userId: other.id, role: 'member' });
      assert.deepEqual(await store.members.listForUser(user.id), [
        { workspaceId: 'acme', userId: user.id, role: 'owner', serverIds: ['x'] },
        { workspaceId: 'beta', userId: user.id, role: 'viewer', serverIds: null },
      ]);
      assert.deepEqual(await store.members.listForUser(randomUUID()), []);
      assert.equal(await store.members.find('beta', other.id), undefined);
      assert.equal(await store.members.find('missing', user.id), undefined);
    });

    it('upsert for an unknown workspace or user fails and writes nothing', async (t) => {
      const { store, user } = await h.seeded(t);
      await assert.rejects(
        store.members.upsert({ workspaceId: 'missing', userId: user.id, role: 'owner' }),
        isStoreErrorWith('reference_not_found'),
      );
      await assert.rejects(
        store.members.upsert({ workspaceId: 'acme', userId: randomUUID(), role: 'owner' }),
        isStoreErrorWith('reference_not_found'),
      );
      assert.deepEqual(await store.members.list('missing'), []);
      assert.deepEqual(await store.members.list('acme'), []);
    });
  });
}
