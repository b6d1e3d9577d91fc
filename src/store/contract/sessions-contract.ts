/** Browser sessions, and what removing a user takes with them. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith } from './contract-support.ts';

const hour = 3_600_000;

export function sessionsContract(h: ContractHarness): void {
  describe('browser sessions', () => {
    it('create round-trips; find finds expired sessions too', async (t) => {
      const { store, user } = await h.seeded(t);
      const expiresAt = new Date(Date.now() - hour);
      const session = await store.browserSessions.create({
        idHash: 'a'.repeat(64),
        userId: user.id,
        csrfToken: 'csrf-1',
        expiresAt,
      });
      assert.equal(session.idHash, 'a'.repeat(64));
      assert.equal(session.userId, user.id);
      assert.equal(session.csrfToken, 'csrf-1');
      assert.equal(session.expiresAt.getTime(), expiresAt.getTime());
      assert.equal(session.lastSeenAt.getTime(), session.createdAt.getTime());
      assert.deepEqual(await store.browserSessions.find('a'.repeat(64)), session);
      assert.equal(await store.browserSessions.find('b'.repeat(64)), undefined);
    });

    it('touch moves lastSeenAt and expiresAt only', async (t) => {
      const { store, user } = await h.seeded(t);
      const session = await store.browserSessions.create({
        idHash: 'a'.repeat(64),
        userId: user.id,
        csrfToken: 'csrf-1',
        expiresAt: new Date(Date.now() + hour),
      });
      const seen = new Date(Date.now() + 1_000);
      const expires = new Date(Date.now() + 2 * hour);
      await store.browserSessions.touch(session.idHash, seen, expires);
      assert.deepEqual(await store.browserSessions.find(session.idHash), {
        ...session,
        lastSeenAt: seen,
        expiresAt: expires,
      });
      await store.browserSessions.touch('b'.repeat(64), seen, expires);
    });

    it('remove, removeForUser and removeExpired delete only what they name', async (t) => {
      const { store, user } = await h.seeded(t);
      const other = await store.users.upsert({ email: 'dev@acme.test' });
      const now = new Date();
      const create = (idHash: string, userId: string, expiresAt: Date) =>
        store.browserSessions.create({ idHash, userId, csrfToken: idHash, expiresAt });
      await create('live-1', user.id, new Date(now.getTime() + hour));
      await create('live-2', user.id, new Date(now.getTime() + hour));
      await create('old-1', other.id, new Date(now.getTime() - hour));
      await create('old-2', other.id, now);
      await create('live-3', other.id, new Date(now.getTime() + hour));
      assert.equal(await store.browserSessions.removeExpired(now), 2);
      assert.equal(await store.browserSessions.removeExpired(now), 0);
      assert.equal(await store.browserSessions.find('old-1'), undefined);
      await store.browserSessions.remove('live-1');
      assert.equal(await store.browserSessions.find('live-1'), undefined);
      assert.ok(await store.browserSessions.find('live-2'));
      await store.browserSessions.removeForUser(user.id);
      assert.equal(await store.browserSessions.find('live-2'), undefined);
      assert.ok(await store.browserSessions.find('live-3'));
      await store.browserSessions.remove('unknown');
    });

    it('a session for an unknown user or a duplicate id is refused', async (t) => {
      const { store, user } = await h.seeded(t);
      const expiresAt = new Date(Date.now() + hour);
      await assert.rejects(
        store.browserSessions.create({
          idHash: 'x',
          userId: randomUUID(),
          csrfToken: 'c',
          expiresAt,
        }),
        isStoreErrorWith('reference_not_found'),
      );
      assert.equal(await store.browserSessions.find('x'), undefined);
      await store.browserSessions.create({
        idHash: 'y',
        userId: user.id,
        csrfToken: 'c',
        expiresAt,
      });
      await assert.rejects(
        store.browserSessions.create({ idHash: 'y', userId: user.id, csrfToken: 'd', expiresAt }),
        isStoreErrorWith('conflict'),
      );
      assert.equal((await store.browserSessions.find('y'))?.csrfToken, 'c');
    });
  });

  describe('user removal', () => {
    async function populated(t: Parameters<ContractHarness['open']>[0]) {
      const { store, user } = await h.seeded(t);
      const other = await store.users.upsert({ email: 'dev@acme.test' });
      const expiresAt = new Date(Date.now() + hour);
      for (const u of [user, other]) {
        await store.members.upsert({ workspaceId: 'acme', userId: u.id, role: 'member' });
        await store.apiKeys.upsert({
          name: `key-${u.email}`,
          userId: u.id,
          workspaceId: 'acme',
          keyHash: `hash-${u.id}`,
          prefix: 'pk_',
        });
        await store.browserSessions.create({
          idHash: `session-${u.id}`,
          userId: u.id,
          csrfToken: 'c',
          expiresAt,
        });
        await store.oauthArtefacts.upsert('Grant', `grant-${u.id}`, {
          payload: { accountId: u.id },
          accountId: u.id,
          grantId: `grant-${u.id}`,
        });
      }
      const invitation = await store.invitations.create({
        workspaceId: 'acme',
        email: 'new@acme.test',
        role: 'viewer',
        serverIds: null,
        tokenHash: 'token',
        invitedBy: user.id,
        expiresAt,
      });
      return { store, user, other, invitation };
    }

    it('takes memberships, keys, sessions and OAuth artefacts; invitations stay', async (t) => {
      const { store, user, other, invitation } = await populated(t);
      await store.users.remove(user.id);
      assert.equal(await store.users.find(user.id), undefined);
      assert.deepEqual(await store.members.listForUser(user.id), []);
      assert.equal(await store.apiKeys.findByHash(`hash-${user.id}`), undefined);
      assert.equal(await store.browserSessions.find(`session-${user.id}`), undefined);
      assert.equal(await store.oauthArtefacts.find('Grant', `grant-${user.id}`), undefined);
      assert.deepEqual(await store.invitations.find(invitation.id), {
        ...invitation,
        invitedBy: null,
      });
      assert.equal((await store.members.listForUser(other.id)).length, 1);
      assert.ok(await store.apiKeys.findByHash(`hash-${other.id}`));
      assert.ok(await store.browserSessions.find(`session-${other.id}`));
      assert.ok(await store.oauthArtefacts.find('Grant', `grant-${other.id}`));
      assert.equal(await store.users.count(), 1);
      await store.users.remove(user.id);
      await store.users.remove(randomUUID());
      assert.equal(await store.users.count(), 1);
    });

    it('inside a rolled back transaction removes nothing', async (t) => {
      const { store, user } = await populated(t);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.users.remove(user.id);
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.ok(await store.users.find(user.id));
      assert.ok(await store.oauthArtefacts.find('Grant', `grant-${user.id}`));
      assert.equal((await store.members.listForUser(user.id)).length, 1);
    });
  });
}
