/** Workspace invitations: one-time links, accepted or revoked once. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type { InvitationInput } from '../store.ts';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith, sleep } from './contract-support.ts';

export function invitationsContract(h: ContractHarness): void {
  describe('invitations', () => {
    async function withInvitation(t: TestContext) {
      const seed = await h.seeded(t);
      const input: InvitationInput = {
        workspaceId: 'acme',
        email: 'New.Hire@Acme.test',
        role: 'member',
        serverIds: ['everything'],
        tokenHash: 'a'.repeat(64),
        invitedBy: seed.user.id,
        expiresAt: new Date('2030-01-01T00:00:00.000Z'),
      };
      const invitation = await seed.store.invitations.create(input);
      return { ...seed, input, invitation };
    }

    it('create round-trips every field; find and findByTokenHash find it', async (t) => {
      const { store, input, invitation } = await withInvitation(t);
      const { expiresAt, ...rest } = input;
      assert.deepEqual(
        { ...invitation, id: undefined, createdAt: undefined },
        {
          ...rest,
          id: undefined,
          createdAt: undefined,
          expiresAt,
          acceptedAt: null,
          revokedAt: null,
        },
      );
      assert.ok(invitation.createdAt instanceof Date);
      assert.deepEqual(await store.invitations.find(invitation.id), invitation);
      assert.deepEqual(await store.invitations.findByTokenHash('a'.repeat(64)), invitation);
      assert.equal(await store.invitations.find(randomUUID()), undefined);
      assert.equal(await store.invitations.findByTokenHash('b'.repeat(64)), undefined);
    });

    it('serverIds null (every server) round-trips', async (t) => {
      const { store, input } = await withInvitation(t);
      const all = await store.invitations.create({
        ...input,
        serverIds: null,
        tokenHash: 'c'.repeat(64),
      });
      assert.equal(all.serverIds, null);
      assert.equal((await store.invitations.find(all.id))?.serverIds, null);
    });

    it('list is per workspace, newest first, accepted and revoked ones included', async (t) => {
      const { store, input, invitation } = await withInvitation(t);
      await store.workspaces.upsert({ id: 'beta', name: 'Beta' });
      await sleep(2);
      const second = await store.invitations.create({ ...input, tokenHash: 'b'.repeat(64) });
      await store.invitations.create({ ...input, workspaceId: 'beta', tokenHash: 'c'.repeat(64) });
      await store.invitations.accept(invitation.id, new Date());
      await store.invitations.revoke(second.id, new Date());
      const listed = await store.invitations.list('acme');
      assert.deepEqual(
        listed.map((item) => item.id),
        [second.id, invitation.id],
      );
      assert.ok(listed[0]?.revokedAt instanceof Date);
      assert.ok(listed[1]?.acceptedAt instanceof Date);
      assert.deepEqual(await store.invitations.list('missing'), []);
    });

    it('of two concurrent acceptances exactly one wins and keeps its time', async (t) => {
      const { store, invitation } = await withInvitation(t);
      const first = new Date('2026-03-03T03:03:03.003Z');
      const results = await Promise.all([
        store.invitations.accept(invitation.id, first),
        store.invitations.accept(invitation.id, new Date('2026-04-04T00:00:00.000Z')),
      ]);
      assert.deepEqual(
        results.toSorted((a, b) => Number(b) - Number(a)),
        [true, false],
      );
      const stored = await store.invitations.find(invitation.id);
      assert.ok(stored?.acceptedAt instanceof Date);
      assert.equal(await store.invitations.accept(invitation.id, new Date()), false);
      assert.deepEqual(await store.invitations.find(invitation.id), stored);
    });

    it('a revoked invitation cannot be accepted; an unknown one is not accepted', async (t) => {
      const { store, invitation } = await withInvitation(t);
      await store.invitations.revoke(invitation.id, new Date('2026-05-05T00:00:00.000Z'));
      assert.equal(await store.invitations.accept(invitation.id, new Date()), false);
      assert.equal((await store.invitations.find(invitation.id))?.acceptedAt, null);
      assert.equal(await store.invitations.accept(randomUUID(), new Date()), false);
    });

    it('revoke sets revokedAt once and leaves accepted invitations alone', async (t) => {
      const { store, input, invitation } = await withInvitation(t);
      const at = new Date('2026-05-05T05:05:05.005Z');
      await store.invitations.revoke(invitation.id, at);
      await store.invitations.revoke(invitation.id, new Date('2027-01-01T00:00:00.000Z'));
      assert.equal(
        (await store.invitations.find(invitation.id))?.revokedAt?.getTime(),
        at.getTime(),
      );
      const accepted = await store.invitations.create({ ...input, tokenHash: 'b'.repeat(64) });
      assert.equal(await store.invitations.accept(accepted.id, at), true);
      await store.invitations.revoke(accepted.id, new Date());
      assert.equal((await store.invitations.find(accepted.id))?.revokedAt, null);
      await store.invitations.revoke(randomUUID(), new Date());
    });

    it('a duplicate token hash, unknown workspace or unknown inviter is refused', async (t) => {
      const { store, input } = await withInvitation(t);
      await assert.rejects(
        store.invitations.create({ ...input, email: 'other@acme.test' }),
        isStoreErrorWith('conflict'),
      );
      await assert.rejects(
        store.invitations.create({ ...input, workspaceId: 'missing', tokenHash: 'd'.repeat(64) }),
        isStoreErrorWith('reference_not_found'),
      );
      await assert.rejects(
        store.invitations.create({ ...input, invitedBy: randomUUID(), tokenHash: 'e'.repeat(64) }),
        isStoreErrorWith('reference_not_found'),
      );
      assert.equal((await store.invitations.list('acme')).length, 1);
      assert.deepEqual(await store.invitations.list('missing'), []);
    });
  });
}
